main :- current_prolog_flag(argv, Args), forall(member(A, Args), (write(A), nl)).

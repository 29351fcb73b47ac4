main :- write('Hello, World!'), nl.

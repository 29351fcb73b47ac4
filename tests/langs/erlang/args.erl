main(Args) ->
    io:setopts([{encoding, unicode}]),
    [io:format("~ts~n", [A]) || A <- Args].

main(_) ->
    ok = io:setopts(standard_io, [binary, {encoding, latin1}]),
    loop().
loop() ->
    case file:read(standard_io, 4096) of
        {ok, Data} -> file:write(standard_io, Data), loop();
        eof -> ok
    end.

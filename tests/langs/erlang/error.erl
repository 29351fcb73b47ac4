main(_) -> io:format("x"

$stdout.binmode; $stdin.binmode; $stdout.write($stdin.read)

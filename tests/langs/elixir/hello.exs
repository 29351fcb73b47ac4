IO.puts "Hello, World!"

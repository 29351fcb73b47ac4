main = putStrLn "Hello, World!"

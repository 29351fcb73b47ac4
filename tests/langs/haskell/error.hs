main :: IO ()
main = putStrLn (length "x")

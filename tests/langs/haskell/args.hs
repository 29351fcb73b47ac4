import System.Environment (getArgs)
main = getArgs >>= mapM_ putStrLn

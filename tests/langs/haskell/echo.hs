import qualified Data.ByteString as B
main = B.getContents >>= B.putStr

program broken
  implicit none
  integer :: x
  x = 'not an int'
end program broken

program echo
  use iso_fortran_env, only: error_unit
  implicit none
  character(len=1) :: c
  integer :: in, out, ios
  open(newunit=in, file='/dev/stdin', access='stream', form='unformatted', action='read')
  open(newunit=out, file='/dev/stdout', access='stream', form='unformatted', action='write')
  do
    read(in, iostat=ios) c
    if (ios /= 0) exit
    write(out) c
  end do
end program echo

program echo
  ! copies standard input to standard output byte for byte, through the
  ! POSIX read(2)/write(2) of C (formatted Fortran I/O drops CRs and adds
  ! a newline at the end of the last record)
  use iso_c_binding
  implicit none
  interface
    function c_read(fd, buf, n) bind(c, name='read') result(r)
      import :: c_int, c_size_t, c_long, c_char
      integer(c_int), value :: fd
      character(kind=c_char) :: buf(*)
      integer(c_size_t), value :: n
      integer(c_long) :: r
    end function c_read
    function c_write(fd, buf, n) bind(c, name='write') result(r)
      import :: c_int, c_size_t, c_long, c_char
      integer(c_int), value :: fd
      character(kind=c_char) :: buf(*)
      integer(c_size_t), value :: n
      integer(c_long) :: r
    end function c_write
  end interface
  character(kind=c_char) :: buf(4096)
  integer(c_long) :: n, w
  do
    n = c_read(0_c_int, buf, int(size(buf), c_size_t))
    if (n <= 0) exit
    w = c_write(1_c_int, buf, int(n, c_size_t))
  end do
end program echo

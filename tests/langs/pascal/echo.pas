program echo;
uses baseunix;
var
  buf: array[0..4095] of byte;
  n: longint;
begin
  repeat
    n := fpread(0, buf, sizeof(buf));
    if n > 0 then fpwrite(1, buf, n);
  until n <= 0;
end.

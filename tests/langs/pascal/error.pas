program broken;
var
  x: integer;
begin
  x := 'not an int';
end.

program args;
var
  i: integer;
begin
  for i := 1 to paramcount do
    writeln(paramstr(i));
end.

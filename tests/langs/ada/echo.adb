with Ada.Streams; use Ada.Streams;
with Ada.Text_IO.Text_Streams; use Ada.Text_IO;
procedure Main is
   Input  : constant Text_Streams.Stream_Access := Text_Streams.Stream (Standard_Input);
   Output : constant Text_Streams.Stream_Access := Text_Streams.Stream (Standard_Output);
   Buf : Stream_Element_Array (1 .. 1);
   Last : Stream_Element_Offset;
begin
   loop
      Input.Read (Buf, Last);
      exit when Last < Buf'First;
      Output.Write (Buf (1 .. Last));
   end loop;
end Main;

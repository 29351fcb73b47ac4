do forever
  l = linein()
  if l == "" & lines() = 0 then leave
  say l
end

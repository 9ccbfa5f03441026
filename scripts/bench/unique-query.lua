-- wrk script: every request asks for a URL nobody asked before, so varnish cannot answer from its cache.
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "?bench=" .. math.random(1, 1000000000) .. "-" .. counter)
end

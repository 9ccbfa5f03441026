-- wrk script: every request asks for a URL nobody asked before, so varnish cannot answer from its cache.
-- Each wrk thread has its own Lua state and the same random sequence, so the thread number goes in too.
local threads = 0
function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

local counter = 0
function request()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "?bench=" .. thread_number .. "-" .. counter)
end

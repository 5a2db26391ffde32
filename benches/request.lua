-- Send every request with another method, and optionally a JSON file as its body:
--   wrk -s benches/request.lua URL METHOD [FILE]
-- (wrk hands the words after the URL to init; args[0] is the URL itself).
function init(args)
   wrk.method = args[1]
   if args[2] then
      local file = assert(io.open(args[2], "rb"))
      wrk.body = file:read("*a")
      wrk.headers["Content-Type"] = "application/json"
      file:close()
   end
end

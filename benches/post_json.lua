-- POST a JSON file with every request: wrk -s benches/post_json.lua URL FILE
-- (wrk hands the words after the URL to init; args[0] is the URL itself).
function init(args)
   local file = assert(io.open(args[1], "rb"))
   wrk.method = "POST"
   wrk.body = file:read("*a")
   wrk.headers["Content-Type"] = "application/json"
   file:close()
end

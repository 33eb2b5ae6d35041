-- wrk: GET the contents of a random shelf (barcodes listed one per line in SHELVES).
local token = os.getenv("TOKEN")
local shelves = {}
for line in io.lines(os.getenv("SHELVES")) do shelves[#shelves + 1] = line end
math.randomseed(os.time())
request = function()
  local path = "/api/v1/locations/" .. shelves[math.random(1, #shelves)] .. "/items?limit=100"
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

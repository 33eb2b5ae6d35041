-- wrk: GET the map of a random rack (barcodes listed one per line in RACKS).
local token = os.getenv("TOKEN")
local racks = {}
for line in io.lines(os.getenv("RACKS")) do racks[#racks + 1] = line end
math.randomseed(os.time())
request = function()
  local path = "/api/v1/map/racks/" .. racks[math.random(1, #racks)]
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

-- wrk: GET a random box of the first BOXES by its barcode.
dofile(os.getenv("BENCH_DIR") .. "/damm.lua")
local boxes = tonumber(os.getenv("BOXES") or "1000000")
local token = os.getenv("TOKEN")
math.randomseed(os.time())
request = function()
  local path = "/api/v1/items/" .. barcode("B", 1, math.random(1, boxes))
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

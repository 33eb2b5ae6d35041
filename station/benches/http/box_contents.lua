-- wrk: GET a random box's contents list (of the first BOXES) with its completeness.
dofile(os.getenv("BENCH_DIR") .. "/damm.lua")
local boxes = tonumber(os.getenv("BOXES") or "1000000")
local token = os.getenv("TOKEN")
math.randomseed(os.time())
request = function()
  local path = "/api/v1/boxes/" .. barcode("B", 1, math.random(1, boxes)) .. "/contents"
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

-- wrk: POST a random box as a scan at a random one of WORKSTATIONS workstations, each in
-- SHELVE mode on its shelf: every request is a durable move with its event.
dofile(os.getenv("BENCH_DIR") .. "/damm.lua")
local boxes = tonumber(os.getenv("BOXES") or "1000000")
local stations = tonumber(os.getenv("WORKSTATIONS") or "16")
local token = os.getenv("TOKEN")
math.randomseed(os.time())
request = function()
  local body = string.format('{"workstation":"ws-%d","data":"%s"}',
    math.random(1, stations), barcode("B", 1, math.random(1, boxes)))
  return wrk.format("POST", "/api/v1/scans", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

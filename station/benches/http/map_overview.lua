-- wrk: GET the room overview (every room, every rack's fill).
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", "/api/v1/map", { ["Authorization"] = "Bearer " .. token })
end

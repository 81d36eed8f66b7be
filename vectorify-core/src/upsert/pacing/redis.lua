-- The pacing state that every process using one API key shares, changed
-- only by this script, so that each change is atomic.
--
-- KEYS[1] is the state, a hash; KEYS[2] the requests in flight, a sorted
-- set of tickets scored by when each request goes. ARGV[1] names the
-- operation (`reserve`, `observe` or `check`); the rest are its arguments,
-- described with each operation.
--
-- Times are milliseconds on Redis's clock (TIME): every process reads the
-- same clock, whatever its own says. Callers pass durations, never instants.
--
-- The hash's fields:
--   seq    the next ticket; tickets number the requests let through, across
--          every process
--   pause  no request goes before this time (a `Retry-After`, or a window
--          whose end the API did not say)
--   tat    when the next request may go at the configured rate
--   limit  the requests allowed per window, once an answer said
--   low    the fewest requests left in the current window that an answer
--          said; no `low` means no window is known, and requests go as the
--          rate allows
--   reset  when the current window ends, if known
--   id     the API's `X-RateLimit-Reset` for the window, which tells windows
--          apart
--   first  the first ticket of the window: answers to earlier tickets belong
--          to an earlier window
--   heard  1 once an answer from the window came; until then `low` is a
--          guess that the first answer replaces
--
-- The requests that may still go in the window are `low` less the requests
-- that have gone and not been answered yet: the API may not have counted
-- them. Each answer takes its request out of flight, so the count recovers
-- as answers come in, in whatever order.

-- Redis before 5 replicates scripts verbatim unless told otherwise, and a
-- script that reads TIME must not be replayed verbatim.
if redis.replicate_commands then
  redis.replicate_commands()
end

local key = KEYS[1]
local flight = KEYS[2]
local op = ARGV[1]

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local state = {}
local raw = redis.call('HGETALL', key)
for i = 1, #raw, 2 do
  state[raw[i]] = raw[i + 1]
end

local function number(field)
  return tonumber(state[field])
end

-- Changes are gathered and written at the end, in one HSET and one HDEL.
local changes = {}
local changed = false
local function set(field, value)
  changes[field] = tostring(value)
  state[field] = tostring(value)
  changed = true
end
local function unset(field)
  if state[field] ~= nil then
    changes[field] = false
    state[field] = nil
    changed = true
  end
end

local function save(ttl)
  if changed then
    local written, removed = {}, {}
    for field, value in pairs(changes) do
      if value == false then
        removed[#removed + 1] = field
      else
        written[#written + 1] = field
        written[#written + 1] = value
      end
    end
    if #removed > 0 then
      redis.call('HDEL', key, unpack(removed))
    end
    if #written > 0 then
      redis.call('HSET', key, unpack(written))
    end
    redis.call('PEXPIRE', key, ttl)
  end
  if redis.call('EXISTS', flight) == 1 then
    redis.call('PEXPIRE', flight, ttl)
  end
end

-- A window no answer has told about yet, allowing `size` requests.
local function guess(size, first)
  set('low', size)
  set('first', first)
  set('heard', 0)
  unset('reset')
  unset('id')
end

local function forget_window()
  for _, field in ipairs({'low', 'reset', 'id', 'first', 'heard'}) do
    unset(field)
  end
end

local seq = number('seq') or 0
local pause = number('pause') or 0

if op == 'reserve' then
  -- ARGV: interval (ms between requests at the configured rate, 0 for
  -- none), horizon (ms: how far ahead a request may be given its turn),
  -- poll (ms), fallback (ms), max_wait (ms), lost (ms: a request in flight
  -- longer than this is taken as lost), ttl (ms).
  -- Returns {1, ticket, delay}: go in `delay` ms with this ticket; or
  -- {0, wait}: ask again in `wait` ms.
  local interval = tonumber(ARGV[2])
  local horizon = tonumber(ARGV[3])
  local poll = tonumber(ARGV[4])
  local fallback = tonumber(ARGV[5])
  local max_wait = tonumber(ARGV[6])
  local lost = tonumber(ARGV[7])
  local ttl = tonumber(ARGV[8])

  if pause > now then
    return {0, math.min(pause - now, max_wait)}
  end

  -- Requests whose process never reported an answer (it stopped) must not
  -- hold places forever.
  redis.call('ZREMRANGEBYSCORE', flight, '-inf', now - lost)

  -- A window that has ended says nothing of the next one but its size:
  -- that many may go until an answer tells more.
  local reset = number('reset')
  if number('low') and reset and reset <= now then
    local limit = number('limit')
    if limit then
      guess(limit, seq)
    else
      forget_window()
    end
  end

  local low = number('low')
  if low then
    local unanswered = redis.call('ZCOUNT', flight, '-inf', now)
    if low - unanswered <= 0 then
      local wait
      reset = number('reset')
      if unanswered > 0 then
        -- Answers are on their way, and will tell how many are left.
        wait = math.min(poll, fallback)
      elseif reset then
        -- The API said the window is used up: nothing goes before its end.
        wait = reset - now
      else
        -- When the window ends is unknown: after a wait, one request goes
        -- alone to find out.
        wait = math.min(fallback, max_wait)
        set('pause', now + wait)
        guess(1, seq)
      end
      save(ttl)
      return {0, math.max(1, math.min(wait, max_wait))}
    end
  end

  local slot = now
  if interval > 0 then
    local tat = number('tat') or 0
    if tat > slot then
      slot = tat
    end
    if slot - now > horizon then
      save(ttl)
      return {0, math.max(1, math.min(math.ceil(slot - now - horizon), max_wait))}
    end
    set('tat', string.format('%.3f', slot + interval))
  end

  redis.call('ZADD', flight, math.floor(slot), seq)
  set('seq', seq + 1)
  save(ttl)
  return {1, seq, math.ceil(slot - now)}

elseif op == 'observe' then
  -- ARGV: ticket, status (0 when no answer came), limit, remaining,
  -- reset_in (ms), reset_id (the API's reset, in epoch seconds), retry_after
  -- (ms), each -1 when the answer did not say; stale (1 when the answer's
  -- window has already ended), max_wait (ms), ttl (ms).
  -- Returns 0.
  local ticket = tonumber(ARGV[2])
  local status = tonumber(ARGV[3])
  local limit = tonumber(ARGV[4])
  local remaining = tonumber(ARGV[5])
  local reset_in = tonumber(ARGV[6])
  local reset_id = tonumber(ARGV[7])
  local retry_after = tonumber(ARGV[8])
  local stale = ARGV[9] == '1'
  local max_wait = tonumber(ARGV[10])
  local ttl = tonumber(ARGV[11])

  redis.call('ZREM', flight, ARGV[2])

  -- A `Retry-After` on any answer holds every request back that long.
  if retry_after >= 0 then
    local paused_until = now + math.min(retry_after, max_wait)
    if pause < paused_until then
      set('pause', paused_until)
    end
  end
  if limit >= 0 then
    set('limit', limit)
  end

  if remaining < 0 then
    if status == 429 then
      -- A 429 without the headers still says the window is used up.
      remaining = 0
    else
      -- No news; the request's place is free again, as it is out of
      -- flight.
      save(ttl)
      return 0
    end
  end
  if stale then
    save(ttl)
    return 0
  end

  local reset
  if reset_in >= 0 then
    reset = now + math.min(reset_in, max_wait)
  elseif status == 429 and retry_after >= 0 then
    -- A refusal that only says when to come back ends the window then.
    reset = now + math.min(retry_after, max_wait)
  end

  -- Which window the answer is from: by the API's reset when both have
  -- one, else by whether its ticket came before this window's first.
  local low = number('low')
  local first = number('first')
  local current_id = number('id')
  local from
  if not low then
    from = 1
  elseif current_id and reset_id >= 0 then
    if reset_id > current_id then
      from = 1
    elseif reset_id < current_id then
      from = -1
    else
      from = 0
    end
  elseif first and ticket < first then
    from = -1
  else
    from = 0
  end

  if from > 0 then
    set('low', remaining)
    set('first', ticket)
    set('heard', 1)
    if reset then set('reset', reset) else unset('reset') end
    if reset_id >= 0 then set('id', reset_id) else unset('id') end
  elseif from == 0 then
    -- Answers arrive out of order: keep the lowest count, except over a
    -- guess.
    if state['heard'] == '1' then
      set('low', math.min(low, remaining))
    else
      set('low', remaining)
    end
    set('heard', 1)
    if not number('reset') and reset then
      set('reset', reset)
      if reset_id >= 0 then set('id', reset_id) end
    end
  end
  save(ttl)
  return 0

elseif op == 'check' then
  -- Returns how many ms every request must still wait (0: none).
  return math.max(0, pause - now)
end

return redis.error_reply('unknown pacing operation')

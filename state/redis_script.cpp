// The Lua script that does one observation inside Redis, so that a message
// costs one round trip. It mirrors lmdb_store.cpp: same windows (buckets of
// ARGV bucket seconds), same streak, dedup and cluster rules; the behavioural
// tests run against both. Times are the observation's (logical) seconds;
// EXPIRE only collects what the logical rules no longer read.
#include "state/redis_store.hpp"

namespace pushback::state::detail {

const std::string_view redis_observe_script = R"lua(
local P = ARGV[1]
local direction = ARGV[2]
local now = tonumber(ARGV[3])
local bsec = tonumber(ARGV[4])
local widths = {}
for w in string.gmatch(ARGV[5], '%d+') do widths[#widths + 1] = tonumber(w) end
local longest = 1
for _, w in ipairs(widths) do if w > longest then longest = w end end
local retention = tonumber(ARGV[6])
local dedup = tonumber(ARGV[7])
local sent_retention = tonumber(ARGV[8])
local cap = tonumber(ARGV[9])
local threshold = tonumber(ARGV[10])
local template_cap = tonumber(ARGV[11])
local sender = ARGV[12]
local domain = ARGV[13]
local sender_hash = ARGV[14]
local dedup_id = ARGV[15]
local tag = ARGV[16]
local sent_id = ARGV[17]
local i = 18
local ids = {}
for k = 1, tonumber(ARGV[i]) do ids[k] = ARGV[i + k] end
i = i + 1 + #ids
local fp_empty = ARGV[i] == '1'
local algorithm = ARGV[i + 1]
local minhash = ARGV[i + 2]
local new_id = tonumber(ARGV[i + 3])
i = i + 4
local bands = {}
for k = 1, 16 do bands[k] = ARGV[i + k - 1] end
i = i + 16
local rcpts = {}
for k = 1, tonumber(ARGV[i]) do rcpts[k] = ARGV[i + k] end

local bucket = math.floor(now / bsec)
local oldest = bucket - longest + 1

local function load(key)
  local flat = redis.call('HGETALL', key)
  local t = {}
  for j = 1, #flat, 2 do t[flat[j]] = flat[j + 1] end
  return t
end

local function num(t, field) return tonumber(t[field] or '0') or 0 end

-- Per-window sums of the "m<bucket>" fields of a loaded hash, plus `extra`
-- in the current bucket; fields older than the longest window are deleted.
local function sums(t, key, extra)
  local out = {}
  for k = 1, #widths do out[k] = extra end
  for field, value in pairs(t) do
    local b = string.match(field, '^m(%d+)$')
    if b then
      b = tonumber(b)
      if b < oldest then
        redis.call('HDEL', key, field)
      else
        for k, w in ipairs(widths) do
          if b > bucket - w and b <= bucket then out[k] = out[k] + tonumber(value) end
        end
      end
    end
  end
  return out
end

-- Distinct members per window: each member scored by its latest message.
local function member_counts(zkey)
  local out = {}
  for k, w in ipairs(widths) do
    out[k] = redis.call('ZCOUNT', zkey, (bucket - w + 1) * bsec, (bucket + 1) * bsec - 1)
  end
  return out
end

local function count_member(zkey, member, limit)
  redis.call('ZREMRANGEBYSCORE', zkey, '-inf', '(' .. tostring(oldest * bsec))
  if not redis.call('ZSCORE', zkey, member) and redis.call('ZCARD', zkey) >= limit then return end
  redis.call('ZADD', zkey, 'GT', now, member)
  redis.call('EXPIRE', zkey, retention)
end

local function within(then_, limit)
  if then_ == 0 then return false end
  if now < then_ then return true end
  return now - then_ < limit
end

local function contains(list, item)
  for _, v in ipairs(list) do if v == item then return true end end
  return false
end

local function split(text)
  local out = {}
  for v in string.gmatch(text or '', '[^,]+') do out[#out + 1] = v end
  return out
end

local function max_streak(who)
  local top = redis.call('ZRANGE', P .. 'ps:' .. who, -1, -1, 'WITHSCORES')
  if #top == 0 then return 0 end
  return tonumber(top[2])
end

if direction == 'out' then
  local user = sender
  if sent_id ~= '' then redis.call('SET', P .. 'i:' .. sent_id, now, 'EX', sent_retention) end
  local facts = {}
  for k, external in ipairs(rcpts) do
    local key = P .. 'p:' .. external .. ':' .. user
    local p = load(key)
    local first = num(p, 'first')
    if first == 0 then first = now end
    local last = num(p, 'last')
    local streak = num(p, 'streak')
    if now >= last then streak = 0 end
    local reply = math.max(num(p, 'reply'), now)
    redis.call('HSET', key, 'first', first, 'touched', math.max(num(p, 'touched'), now), 'reply', reply,
               'streak', streak, 'dialogue', 1)
    redis.call('EXPIRE', key, retention)
    redis.call('ZADD', P .. 'ps:' .. external, streak, user)
    redis.call('EXPIRE', P .. 'ps:' .. external, retention)
    if redis.call('ZSCORE', P .. 'top:seen', external) then
      redis.call('ZADD', P .. 'top:streak', max_streak(external), external)
    end
    facts[k] = {0, num(p, 'total'), sums(p, key, 0), streak, 1, first, last, reply, num(p, 'steps'), 0, 0}
  end
  return {1, 0, 0, {}, {}, {}, {}, {0}, facts}
end

local allowlisted = 0
if redis.call('HEXISTS', P .. 'a', sender) == 1 or redis.call('HEXISTS', P .. 'a', domain) == 1 then allowlisted = 1 end

local message_duplicate = false
if dedup_id ~= '' then
  local key = P .. 'x:' .. dedup_id
  local seen = tonumber(redis.call('GET', key) or '0')
  if within(seen, dedup) then
    message_duplicate = true
  else
    redis.call('SET', key, now, 'EX', dedup + 86400)
  end
end

local answers = 0
for _, id in ipairs(ids) do
  if answers == 0 and within(tonumber(redis.call('GET', P .. 'i:' .. id) or '0'), sent_retention) then answers = 1 end
end

-- The template cluster: candidates share an LSH band; the most similar first
-- member at or above the threshold wins (the share of equal MinHash values,
-- as scoring::estimated_jaccard computes it).
local cluster = nil
local similarity = 0
local created = 0
if not fp_empty then
  local band_ids = {}
  local tried = {}
  for b = 1, 16 do
    local id = redis.call('GET', P .. 'l:' .. algorithm .. ':' .. (b - 1) .. ':' .. bands[b])
    band_ids[b] = id
    if id and not tried[id] then
      tried[id] = true
      local rec = redis.call('HMGET', P .. 't:' .. id, 'alg', 'mh')
      if rec[1] == algorithm and rec[2] and #rec[2] == #minhash then
        local equal = 0
        for j = 0, #minhash / 4 - 1 do
          if string.sub(rec[2], j * 4 + 1, j * 4 + 4) == string.sub(minhash, j * 4 + 1, j * 4 + 4) then equal = equal + 1 end
        end
        local s = equal / (#minhash / 4)
        if s >= threshold and s > similarity then similarity = s; cluster = id end
      end
    end
  end
  if not cluster and not message_duplicate then
    local id = new_id
    while id == 0 or redis.call('EXISTS', P .. 't:' .. string.format('%d', id)) == 1 do id = (id + 1) % 4294967296 end
    cluster = string.format('%d', id)
    created = 1
    similarity = 1
    redis.call('HSET', P .. 't:' .. cluster, 'alg', algorithm, 'mh', minhash, 'first', now, 'touched', now, 'total', 0)
  end
  if cluster and not message_duplicate then
    for b = 1, 16 do
      if not band_ids[b] or band_ids[b] == cluster then
        redis.call('SET', P .. 'l:' .. algorithm .. ':' .. (b - 1) .. ':' .. bands[b], cluster, 'EX', retention)
      end
    end
  end
end

local sender_key = P .. 's:' .. sender
local domain_key = P .. 'd:' .. domain
local facts = {}
local seen_rcpts = {}
local any_pair_counted = false
for k, rid in ipairs(rcpts) do
  if seen_rcpts[rid] then
    local copy = {}
    for j, v in ipairs(facts[seen_rcpts[rid]]) do copy[j] = v end
    copy[1] = 1
    facts[k] = copy
  else
    seen_rcpts[rid] = k
    local key = P .. 'p:' .. sender .. ':' .. rid
    local p = load(key)
    local last = num(p, 'last')
    local duplicate = tag ~= '0' and p.tag == tag and within(last, dedup)
    local templates = split(p.tpl)
    local total = num(p, 'total')
    local streak = num(p, 'streak')
    local steps = num(p, 'steps')
    local first = num(p, 'first')
    local repeated = 0
    local follows = 0
    if cluster then
      for _, v in ipairs(templates) do if v ~= cluster then follows = 1 end end
    end
    local extra = 0
    if not duplicate then
      any_pair_counted = true
      extra = 1
      count_member(P .. 'sr:' .. sender, rid, 4294967296)
      count_member(P .. 'dr:' .. domain, rid, cap)
      if cluster then count_member(P .. 'tr:' .. cluster, rid, cap) end
      if first == 0 then first = now end
      total = total + 1
      streak = streak + 1
      if cluster then
        if contains(templates, cluster) then
          repeated = 1
        else
          steps = steps + 1
          templates[#templates + 1] = cluster
          while #templates > template_cap do table.remove(templates, 1) end
        end
      end
      redis.call('HSET', key, 'first', first, 'last', math.max(last, now), 'touched', math.max(num(p, 'touched'), now),
                 'total', total, 'streak', streak, 'steps', steps, 'tag', tag, 'tpl', table.concat(templates, ','))
      redis.call('HINCRBY', key, 'm' .. bucket, 1)
      redis.call('EXPIRE', key, retention)
      redis.call('ZADD', P .. 'ps:' .. sender, streak, rid)
      redis.call('EXPIRE', P .. 'ps:' .. sender, retention)
    else
      repeated = 0
    end
    facts[k] = {duplicate and 1 or 0, total, sums(p, key, extra), streak, num(p, 'dialogue'), first, last,
                num(p, 'reply'), steps, repeated, follows}
  end
end

local counted = (not message_duplicate) or any_pair_counted
local outcome = 2
if counted then outcome = 1 end
local message_extra = 0
if counted and not message_duplicate then message_extra = 1 end

local function update_owner(key)
  local t = load(key)
  if counted then
    if message_extra == 1 then
      redis.call('HINCRBY', key, 'm' .. bucket, 1)
      redis.call('HINCRBY', key, 'total', 1)
    end
    redis.call('HSETNX', key, 'first', now)
    redis.call('HSET', key, 'touched', math.max(num(t, 'touched'), now))
    redis.call('EXPIRE', key, retention)
  end
  return sums(t, key, message_extra)
end

local sender_messages = update_owner(sender_key)
local sender_members = member_counts(P .. 'sr:' .. sender)
local domain_messages = update_owner(domain_key)
local domain_members = member_counts(P .. 'dr:' .. domain)

local cluster_out = {0}
if cluster then
  local tkey = P .. 't:' .. cluster
  if counted and message_extra == 1 then count_member(P .. 'ts:' .. cluster, sender_hash, cap) end
  local t = load(tkey)
  local messages = update_owner(tkey)
  local recipients = member_counts(P .. 'tr:' .. cluster)
  local senders = member_counts(P .. 'ts:' .. cluster)
  local saturated = 0
  if redis.call('ZCARD', P .. 'tr:' .. cluster) >= cap or redis.call('ZCARD', P .. 'ts:' .. cluster) >= cap then saturated = 1 end
  local first = num(t, 'first')
  if first == 0 then first = now end
  cluster_out = {1, tonumber(cluster), created, math.floor(similarity * 1000 + 0.5), num(t, 'total') + message_extra,
                 first, math.max(num(t, 'touched'), now), saturated, messages, recipients, senders}
  if counted then
    redis.call('ZADD', P .. 'top:treach', recipients[#recipients], cluster)
    redis.call('ZADD', P .. 'top:tseen', now, cluster)
  end
end

if counted then
  redis.call('ZADD', P .. 'top:volume', sender_messages[#sender_messages], sender)
  redis.call('ZADD', P .. 'top:reach', sender_members[#sender_members], sender)
  redis.call('ZADD', P .. 'top:streak', max_streak(sender), sender)
  redis.call('ZADD', P .. 'top:seen', now, sender)
  -- Rankings forget idle senders and templates a few at a time.
  local idle = redis.call('ZRANGEBYSCORE', P .. 'top:seen', '-inf', '(' .. tostring(now - retention), 'LIMIT', 0, 16)
  for _, who in ipairs(idle) do
    for _, list in ipairs({'top:volume', 'top:reach', 'top:streak', 'top:seen'}) do redis.call('ZREM', P .. list, who) end
  end
  idle = redis.call('ZRANGEBYSCORE', P .. 'top:tseen', '-inf', '(' .. tostring(now - retention), 'LIMIT', 0, 16)
  for _, id in ipairs(idle) do
    redis.call('ZREM', P .. 'top:treach', id)
    redis.call('ZREM', P .. 'top:tseen', id)
  end
end

-- feedback: counts on this template and sender, under the names of
-- feedback_subjects() (state/feedback.cpp); written by record_feedback().
-- Tagged 'feedback' and returned last, so the reader finds it wherever it is.
local feedback = {'feedback', 0, 0, 0, 0}
if cluster then
  local f = redis.call('HMGET', P .. 'fb:t:' .. string.format('%08x', tonumber(cluster)), 'ham', 'out')
  feedback[2] = tonumber(f[1]) or 0; feedback[3] = tonumber(f[2]) or 0
end
if sender ~= '' then
  local f = redis.call('HMGET', P .. 'fb:s:' .. sender, 'ham', 'out')
  feedback[4] = tonumber(f[1]) or 0; feedback[5] = tonumber(f[2]) or 0
end

return {outcome, allowlisted, answers, sender_messages, sender_members, domain_messages, domain_members,
        cluster_out, facts, feedback}
)lua";

}  // namespace pushback::state::detail

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
i = i + 1 + #rcpts
-- Campaign identity (state/campaign_link.hpp has the rule in C++): the
-- sender's brand, an id for a new campaign, the evidence as keyed hashes
-- with their family and kind name, the quoted text's fingerprint, and for
-- outbound mail the brand evidence of each recipient.
local sender_brand = ARGV[i]
local new_campaign = tonumber(ARGV[i + 1])
local organisation = ARGV[i + 2]  -- keyed hash of the sender's organisation name; '' when none
i = i + 1
local evidence = {}
for k = 1, tonumber(ARGV[i + 2]) do
  evidence[k] = {ARGV[i + 2 + 3 * k - 2], ARGV[i + 2 + 3 * k - 1], ARGV[i + 2 + 3 * k]}
end
i = i + 3 + 3 * #evidence
-- Lookalike brands: for each variant of the sender's brand (one letter left
-- out), the hash of it as a brand and as a variant; then the brand itself as
-- a variant.
local variants = {}
for k = 1, tonumber(ARGV[i]) do variants[k] = {ARGV[i + 2 * k - 1], ARGV[i + 2 * k]} end
i = i + 1 + 2 * #variants
local brand_as_variant = ARGV[i]
i = i + 1
local quoted_used = ARGV[i] == '1'
local quoted_minhash = ARGV[i + 1]
local quoted_bands = {}
for k = 1, 16 do quoted_bands[k] = ARGV[i + 1 + k] end
i = i + 18
local rcpt_brands = {}
local rcpt_organisations = {}
for k = 1, tonumber(ARGV[i]) do
  rcpt_brands[k] = ARGV[i + 2 * k - 1]
  rcpt_organisations[k] = ARGV[i + 2 * k]
end

local bucket = math.floor(now / bsec)
local oldest = bucket - longest + 1
local bucket_field = 'm' .. bucket

local function load(key)
  local flat = redis.call('HGETALL', key)
  local t = {}
  for j = 1, #flat, 2 do t[flat[j]] = flat[j + 1] end
  return t
end

local function num(t, field) return tonumber(t[field] or '0') or 0 end

-- unpack() takes a few thousand values at most (Lua's C stack), and a long
-- idle owner or a long window can mean more: such a command goes in slices
-- of 1,000 arguments (even, for HSET's pairs). Returns the replies joined.
local function sliced(command, key, list)
  local replies = {}
  for j = 1, #list, 1000 do
    local reply = redis.call(command, key, unpack(list, j, math.min(j + 999, #list)))
    if type(reply) == 'table' then
      for _, v in ipairs(reply) do replies[#replies + 1] = v end
    end
  end
  return replies
end

-- Per-window sums of the "m<bucket>" fields of a loaded pair hash, plus
-- `extra` in the current bucket; fields older than the longest window are
-- deleted in one HDEL.
local function sums(t, key, extra)
  local out = {}
  for k = 1, #widths do out[k] = extra end
  local stale = {}
  for field, value in pairs(t) do
    if string.byte(field, 1) == 109 then  -- 'm'
      local b = tonumber(string.sub(field, 2))
      if b then
        if b < oldest then
          stale[#stale + 1] = field
        else
          for k, w in ipairs(widths) do
            if b > bucket - w and b <= bucket then out[k] = out[k] + tonumber(value) end
          end
        end
      end
    end
  end
  if #stale > 0 then sliced('HDEL', key, stale) end
  return out
end

-- Owners (sender, domain, campaign, template) count per bucket in their hash:
-- "m<bucket>" messages and, for each member set, a histogram of its members
-- by the bucket of their latest message ("r<bucket>" recipients, "u<bucket>"
-- a template's senders). Beside them, the sums per window as of bucket "w"
-- ("sm", "sr", "su": one number per window, for the windows in "ww"), rolled
-- forward when the bucket changes by subtracting the buckets that left each
-- window: a message reads a fixed set of fields however long the owner has
-- been busy. Counts never go back in time: a message older than "w" (mail
-- servers whose clocks differ) counts in bucket "w". When "w" moves, the
-- owner also drops what left the longest window and refreshes the TTLs of its
-- hash and sets; in between a set needs an EXPIRE only when it is new.
local bucket_ttl = retention + bsec
local longest_k = 1
for k, w in ipairs(widths) do if w > widths[longest_k] then longest_k = k end end

local function zeros()
  local out = {}
  for k = 1, #widths do out[k] = 0 end
  return out
end

local function parse_sums(text)
  local out = {}
  for v in string.gmatch(text or '', '[^,]+') do out[#out + 1] = tonumber(v) end
  for k = #out + 1, #widths do out[k] = 0 end
  return out
end

-- Per-window sums of one letter's fields in a wholly loaded hash, as of `at`.
local function series_sums(t, letter, at)
  local out = zeros()
  for field, value in pairs(t) do
    if string.sub(field, 1, 1) == letter then
      local b = tonumber(string.sub(field, 2))
      if b then
        for k, w in ipairs(widths) do
          if b > at - w and b <= at then out[k] = out[k] + tonumber(value) end
        end
      end
    end
  end
  return out
end

local owner_fields = {'first', 'touched', 'total', 'w', 'ww', 'hv', 'sm'}

-- key: the owner's hash; hists: {letter = member set key}; ttl_sets: other
-- keys that live as long as the owner; fields: what else to read of it;
-- created: the hash as just written for a new owner.
local function owner(key, hists, ttl_sets, fields, created)
  local o = {key = key, hists = hists or {}, ttl_sets = ttl_sets or {}, dirty = {}, incr = {}, stale = {}, sums = {}}
  o.letters = {'m'}
  for letter in pairs(o.hists) do o.letters[#o.letters + 1] = letter end
  local L = widths[longest_k]
  if created then
    o.t = created
  else
    local names = {}
    for _, f in ipairs(owner_fields) do names[#names + 1] = f end
    for _, f in ipairs(fields or {}) do names[#names + 1] = f end
    for _, letter in ipairs(o.letters) do
      if letter ~= 'm' then names[#names + 1] = 's' .. letter end
      names[#names + 1] = letter .. bucket
    end
    local values = redis.call('HMGET', key, unpack(names))
    o.t = {}
    for j, name in ipairs(names) do if values[j] then o.t[name] = values[j] end end
  end
  local t = o.t
  local w = tonumber(t.w)
  if created or not t.first then
    o.b, o.fresh = bucket, true
    for _, letter in ipairs(o.letters) do o.sums[letter] = zeros() end
  elseif not w or t.ww ~= ARGV[5] or t.hv ~= '1' then
    -- Written before the rolling sums (or for other windows): summed once
    -- from the whole hash, its histograms first built from the sets.
    for field, value in pairs(load(key)) do t[field] = value end
    o.b, o.fresh = math.max(bucket, w or 0), true
    if t.hv ~= '1' then
      for letter, zkey in pairs(o.hists) do
        local members = redis.call('ZRANGEBYSCORE', zkey, (o.b - L + 1) * bsec, '+inf', 'WITHSCORES')
        for j = 2, #members, 2 do
          local field = letter .. math.min(o.b, math.floor(tonumber(members[j]) / bsec))
          t[field] = tostring(num(t, field) + 1)
          o.dirty[field] = t[field]
        end
      end
    end
    for field in pairs(t) do
      local letter = string.sub(field, 1, 1)
      local b = tonumber(string.sub(field, 2))
      if b and (letter == 'm' or o.hists[letter]) and b <= o.b - L then o.stale[#o.stale + 1] = field end
    end
    for _, letter in ipairs(o.letters) do o.sums[letter] = series_sums(t, letter, o.b) end
  else
    o.b = math.max(bucket, w)
    o.fresh = o.b > w
    for _, letter in ipairs(o.letters) do o.sums[letter] = parse_sums(t[letter == 'm' and 'sm' or 's' .. letter]) end
    if o.b ~= bucket then
      for _, letter in ipairs(o.letters) do t[letter .. o.b] = redis.call('HGET', key, letter .. o.b) or nil end
    end
    if o.fresh then
      -- Roll from w to o.b: what left each window is subtracted.
      local leaving, names, asked = {}, {}, {}
      for k, width in ipairs(widths) do
        if o.b - w >= width then
          for _, letter in ipairs(o.letters) do o.sums[letter][k] = 0 end
        else
          for b = w - width + 1, o.b - width do
            for _, letter in ipairs(o.letters) do
              local field = letter .. b
              leaving[#leaving + 1] = {field, letter, k}
              if not asked[field] then asked[field] = true; names[#names + 1] = field end
            end
          end
        end
      end
      if #names > 0 then
        local values = sliced('HMGET', key, names)
        local value_of = {}
        for j, name in ipairs(names) do value_of[name] = tonumber(values[j] or '0') or 0 end
        for _, l in ipairs(leaving) do o.sums[l[2]][l[3]] = o.sums[l[2]][l[3]] - value_of[l[1]] end
      end
      for b = w - L + 1, math.min(w, o.b - L) do
        for _, letter in ipairs(o.letters) do o.stale[#o.stale + 1] = letter .. b end
      end
    end
  end
  if o.fresh then
    for _, zkey in pairs(o.hists) do
      redis.call('ZREMRANGEBYSCORE', zkey, '-inf', '(' .. tostring((o.b - L + 1) * bsec))
    end
  end
  return o
end

-- A bucket's count changes: the owner's current bucket is read and written
-- whole, an older one (a member moving on) by increment.
local function bump(o, letter, b, delta)
  local field = letter .. b
  if b == o.b or o.dirty[field] then
    o.t[field] = tostring(num(o.t, field) + delta)
    o.dirty[field] = o.t[field]
  else
    o.incr[field] = (o.incr[field] or 0) + delta
  end
end

-- Members in a set: those inside the longest window.
local function card_of(o, letter) return o.sums[letter][longest_k] end

-- Counts `member` in the owner's set `letter` (`limit` nil: no cap): its
-- latest message moves to the owner's bucket.
local function count_member(o, letter, member, limit)
  local zkey = o.hists[letter]
  local old = redis.call('ZSCORE', zkey, member)
  local sums = o.sums[letter]
  local card = sums[longest_k]
  local ob = old and math.floor(tonumber(old) / bsec)
  local known = ob and ob > o.b - widths[longest_k]
  if not known and limit and card >= limit then return end
  redis.call('ZADD', zkey, 'GT', math.max(now, o.b * bsec), member)
  if card == 0 then redis.call('EXPIRE', zkey, bucket_ttl) end  -- a new set
  if known and ob >= o.b then return end
  for k, width in ipairs(widths) do
    if not (known and ob > o.b - width) then sums[k] = sums[k] + 1 end
  end
  if known then bump(o, letter, ob, -1) end
  bump(o, letter, o.b, 1)
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

-- The campaign pair of a recipient: its own hash when there is one, else
-- the first mailbox's pair (all there is while it writes alone). Returns the
-- loaded fields and whether the campaign pair exists.
local function campaign_view(camp, rid)
  local key = P .. 'q:' .. camp .. ':' .. rid
  local q = load(key)
  if next(q) ~= nil then return q, true end
  local primary = redis.call('HGET', P .. 'c:' .. camp, 'psnd')
  if not primary then return {}, false end
  local p = load(P .. 'p:' .. primary .. ':' .. rid)
  if num(p, 'total') > 0 then p.snd = primary end
  return p, false
end

-- Writes a campaign pair's fields (those of a pair, plus its senders). The
-- campaign's "qv" says whether it has any ("0": none yet, so the first
-- mailbox need not look; absent: written before the field, so it looks).
local function store_view(camp, rid, q, marked)
  if not marked then redis.call('HSET', P .. 'c:' .. camp, 'qv', 1) end
  local key = P .. 'q:' .. camp .. ':' .. rid
  local flat = {}
  for field, value in pairs(q) do
    if field ~= 'tag' then flat[#flat + 1] = field; flat[#flat + 1] = value end
  end
  redis.call('DEL', key)
  if #flat > 0 then sliced('HSET', key, flat) end
  redis.call('EXPIRE', key, retention)
  redis.call('ZADD', P .. 'cps:' .. camp, num(q, 'streak'), rid)
  redis.call('EXPIRE', P .. 'cps:' .. camp, retention)
end

local function campaign_exists(camp)
  return camp and redis.call('EXISTS', P .. 'c:' .. camp) == 1
end

-- The live campaigns a piece of evidence names, most recent first; none when
-- three or more share it (infrastructure, as shared_evidence_campaigns).
local function live_evidence(hash)
  local live = {}
  for id in string.gmatch(redis.call('GET', P .. 'e:' .. hash) or '', '[^,]+') do
    if campaign_exists(id) then live[#live + 1] = id end
  end
  if #live >= 3 then return {} end
  return live
end

-- Puts the campaign first on an evidence key (at most four kept).
local function claim_evidence(hash, camp)
  local key = P .. 'e:' .. hash
  local ids = {camp}
  for id in string.gmatch(redis.call('GET', key) or '', '[^,]+') do
    if id ~= camp and #ids < 4 and campaign_exists(id) then ids[#ids + 1] = id end
  end
  redis.call('SET', key, table.concat(ids, ','), 'EX', retention)
end

-- Rankings are sorted sets shared by all senders (or templates). Once per
-- bucket (a marker key holds the bucket of the last run) idle members leave
-- them and their TTLs are refreshed, so that they too expire when mail stops.
local function tend_rankings(seen, lists)
  local marker = P .. 'hk:' .. seen
  if redis.call('GET', marker) == tostring(bucket) then return end
  redis.call('SET', marker, bucket, 'EX', retention)
  local idle = redis.call('ZRANGEBYSCORE', P .. seen, '-inf', '(' .. tostring(now - retention), 'LIMIT', 0, 4096)
  for j = 1, #idle, 256 do
    local chunk = {unpack(idle, j, math.min(j + 255, #idle))}
    for _, list in ipairs(lists) do redis.call('ZREM', P .. list, unpack(chunk)) end
  end
  for _, list in ipairs(lists) do redis.call('EXPIRE', P .. list, retention) end
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
    -- The campaign of the address, or of its organisation: the reply ends
    -- this user's streak over all its mailboxes.
    if rcpt_organisations[k] and rcpt_organisations[k] ~= '' then
      -- Our user wrote to this organisation: a dialogue with all of it.
      redis.call('SET', P .. 'o:' .. rcpt_organisations[k] .. ':' .. user, now, 'EX', retention)
    end
    local camp = redis.call('HGET', P .. 's:' .. external, 'camp')
    if not campaign_exists(camp) then camp = nil end
    if not camp and rcpt_brands[k] and rcpt_brands[k] ~= '' then camp = live_evidence(rcpt_brands[k])[1] end
    if camp then
      local q, stored = campaign_view(camp, user)
      local c = redis.call('HMGET', P .. 'c:' .. camp, 'psnd', 'mbx')
      if stored or #split(c[2]) >= 2 or c[1] ~= external then
        if num(q, 'first') == 0 then q.first = now end
        q.touched = math.max(num(q, 'touched'), now)
        if now >= num(q, 'last') then q.streak = 0 end
        q.reply = math.max(num(q, 'reply'), now)
        q.dialogue = 1
        q.snd = ''  -- the addresses of the streak since this reply
        store_view(camp, user, q)
      end
      -- A reply lowers streaks: the campaign's longest is counted again.
      if redis.call('ZSCORE', P .. 'top:cseen', camp) then
        local longest = max_streak(c[1] or external)
        local top = redis.call('ZRANGE', P .. 'cps:' .. camp, -1, -1, 'WITHSCORES')
        if #top > 0 and tonumber(top[2]) > longest then longest = tonumber(top[2]) end
        redis.call('ZADD', P .. 'top:cstreak', longest, camp)
      end
      local f = facts[k]
      f[12] = num(q, 'total'); f[13] = {}; f[14] = num(q, 'streak'); f[15] = 1
    end
  end
  return {1, 0, 0, {}, {}, {}, {}, {0}, facts, {0}}
end

local allowlisted = 0
local allowed = redis.call('HMGET', P .. 'a', sender, domain)
if allowed[1] or allowed[2] then allowlisted = 1 end

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

-- The estimated Jaccard similarity of a MinHash to cluster `id`'s first member.
-- Also returns whether the cluster still exists.
local function similarity_to(id, mh)
  local rec = redis.call('HMGET', P .. 't:' .. id, 'alg', 'mh')
  if rec[1] ~= algorithm or not rec[2] or #rec[2] ~= #mh then return 0, rec[1] ~= false end
  local other = rec[2]
  if other == mh then return 1, true end
  -- Four values (16 bytes, one LSH band) at a time, one by one only where
  -- they differ; below the threshold the exact figure does not matter.
  local values = #mh / 4
  local allowed = values - math.ceil(threshold * values)
  local unequal = 0
  for at = 1, #mh, 16 do
    if string.sub(other, at, at + 15) ~= string.sub(mh, at, at + 15) then
      for j = at, math.min(at + 15, #mh), 4 do
        if string.sub(other, j, j + 3) ~= string.sub(mh, j, j + 3) then unequal = unequal + 1 end
      end
      if unequal > allowed then return 0, true end
    end
  end
  return (values - unequal) / values, true
end

-- The template cluster: candidates share an LSH band; the most similar first
-- member at or above the threshold wins (the share of equal MinHash values,
-- as scoring::estimated_jaccard computes it). All 16 bands in one MGET. As
-- in LMDB a new cluster's bands point at it where no live cluster holds the
-- band, and members that join add none (similarity is measured against the
-- first member); a band that leads to its cluster has its TTL refreshed once
-- per bucket (the template's "bt").
local cluster = nil
local similarity = 0
local created = 0
local tpl = nil        -- the cluster's hash as read (its owner fields)
local tpl_o = nil
local bands_refreshed = false
if not fp_empty then
  local band_keys = {}
  for b = 1, 16 do band_keys[b] = P .. 'l:' .. algorithm .. ':' .. (b - 1) .. ':' .. bands[b] end
  local band_ids = redis.call('MGET', unpack(band_keys))
  local tried = {}
  local live = {}
  for b = 1, 16 do
    local id = band_ids[b]
    if id and not tried[id] then
      tried[id] = true
      local s, exists = similarity_to(id, minhash)
      live[id] = exists
      if s >= threshold and s > similarity then similarity = s; cluster = id end
    end
  end
  if not cluster and not message_duplicate then
    local id = new_id
    while id == 0 or redis.call('EXISTS', P .. 't:' .. string.format('%d', id)) == 1 do id = (id + 1) % 4294967296 end
    cluster = string.format('%d', id)
    created = 1
    similarity = 1
    tpl = {alg = algorithm, mh = minhash, first = tostring(now), touched = tostring(now), total = '0', hv = '1'}
    redis.call('HSET', P .. 't:' .. cluster, 'alg', algorithm, 'mh', minhash, 'first', now, 'touched', now, 'total', 0,
               'hv', 1)
  end
  if cluster then
    tpl_o = owner(P .. 't:' .. cluster, {r = P .. 'tr:' .. cluster, u = P .. 'ts:' .. cluster}, nil, {'bt', 'camp'}, tpl)
    tpl = tpl_o.t
  end
  if cluster and not message_duplicate then
    local refresh = num(tpl, 'bt') ~= bucket
    for b = 1, 16 do
      local free = not band_ids[b] or not live[band_ids[b]]
      if (created == 1 and free) or (refresh and band_ids[b] == cluster) then
        redis.call('SET', band_keys[b], cluster, 'EX', retention)
      end
    end
    bands_refreshed = refresh
  end
end

-- The owners of per-window counts: sender, domain and template. Each is one
-- hash, loaded once here and written once below.
local sender_key = P .. 's:' .. sender
local domain_key = P .. 'd:' .. domain
local sender_o = owner(sender_key, {r = P .. 'sr:' .. sender}, {P .. 'ps:' .. sender}, {'camp'})
local sender_t = sender_o.t
local domain_o = owner(domain_key, {r = P .. 'dr:' .. domain})

-- The campaign: the sender's own, else the one its evidence links it to
-- (template lineage alone, or two families), else a new one.
local camp = sender_t.camp
local camp_joined = 0
local linked_by = 'known mailbox'
local camp_fields = {'brand', 'psnd', 'mbx', 'dom', 'eb', 'qv'}
local camp_o = nil
if camp then camp_o = owner(P .. 'c:' .. camp, {r = P .. 'cr:' .. camp}, nil, camp_fields) end
if not camp_o or not (camp_o.t.first or camp_o.t.psnd) then
  camp = nil
  camp_o = nil
  local cands = {}
  local order = {}
  local function candidate(id)
    if not cands[id] then cands[id] = {families = {}, count = 0, kinds = {}, lineage = false}; order[#order + 1] = id end
    return cands[id]
  end
  for _, e in ipairs(evidence) do
    for _, id in ipairs(live_evidence(e[1])) do
      local c = candidate(id)
      if not c.families[e[2]] then c.families[e[2]] = true; c.count = c.count + 1 end
      if not contains(c.kinds, e[3]) then c.kinds[#c.kinds + 1] = e[3] end
    end
  end
  -- One edit apart (Damerau), as scoring::lookalike_brands: a shared
  -- variant is checked against the campaign's own brand.
  local function one_edit(a, b)
    if a == b or #a < 5 or #b < 5 or math.abs(#a - #b) > 1 then return false end
    local i = 1
    while i <= #a and i <= #b and string.sub(a, i, i) == string.sub(b, i, i) do i = i + 1 end
    local ta, tb = string.sub(a, i), string.sub(b, i)
    if #a == #b then
      return string.sub(ta, 2) == string.sub(tb, 2) or
             (string.sub(ta, 1, 1) == string.sub(tb, 2, 2) and string.sub(ta, 2, 2) == string.sub(tb, 1, 1) and
              string.sub(ta, 3) == string.sub(tb, 3))
    end
    if #a > #b then return string.sub(ta, 2) == tb end
    return ta == string.sub(tb, 2)
  end
  local function lookalike(hash)
    for _, id in ipairs(live_evidence(hash)) do
      if one_edit(redis.call('HGET', P .. 'c:' .. id, 'brand') or '', sender_brand) then
        local c = candidate(id)
        if not c.families['0'] then c.families['0'] = true; c.count = c.count + 1 end
        if not contains(c.kinds, 'lookalike brand') then c.kinds[#c.kinds + 1] = 'lookalike brand' end
      end
    end
  end
  -- Only when the brand itself is new: a known brand already names its campaigns.
  local brand_known = false
  for _, c in pairs(cands) do if contains(c.kinds, 'brand') then brand_known = true end end
  if not brand_known then
    for _, v in ipairs(variants) do lookalike(v[1]); lookalike(v[2]) end
    if brand_as_variant ~= '' then lookalike(brand_as_variant) end
  end
  -- Quoting a step the recipient got from a campaign links alone; the very
  -- same template is one family ('L').
  local function check_lineage(cl, quoted)
    if not cl then return end
    local owner = redis.call('HGET', P .. 't:' .. cl, 'camp')
    if not campaign_exists(owner) then return end
    for _, rid in ipairs(rcpts) do
      local q = campaign_view(owner, rid)
      if contains(split(q.tpl), cl) then
        local c = candidate(owner)
        if quoted then
          c.lineage = true
        else
          if not c.families['L'] then c.families['L'] = true; c.count = c.count + 1 end
          if not contains(c.kinds, 'same template') then c.kinds[#c.kinds + 1] = 'same template' end
        end
        return
      end
    end
  end
  if cluster and created == 0 then check_lineage(cluster, false) end
  if quoted_used then
    local best, best_s = nil, 0
    for b = 1, 16 do
      local id = redis.call('GET', P .. 'l:' .. algorithm .. ':' .. (b - 1) .. ':' .. quoted_bands[b])
      if id then
        local s = similarity_to(id, quoted_minhash)
        if s >= threshold and s > best_s then best_s = s; best = id end
      end
    end
    check_lineage(best, true)
  end
  local chosen = nil
  for _, id in ipairs(order) do
    local c = cands[id]
    if c.lineage then chosen = id; break end
    if c.count >= 2 and (not chosen or c.count > cands[chosen].count) then chosen = id end
  end
  if chosen then
    camp = chosen
    camp_joined = 1
    local why = {}
    if cands[chosen].lineage then why[1] = 'template lineage' end
    for _, kind in ipairs(cands[chosen].kinds) do why[#why + 1] = kind end
    linked_by = table.concat(why, ', ')
  else
    local id = new_campaign
    while id == 0 or redis.call('EXISTS', P .. 'c:' .. string.format('%d', id)) == 1 do id = (id + 1) % 4294967296 end
    camp = string.format('%d', id)
    linked_by = 'new'
  end
end
local camp_key = P .. 'c:' .. camp
if not camp_o then camp_o = owner(camp_key, {r = P .. 'cr:' .. camp}, nil, camp_fields) end
local camp_t = camp_o.t
local mailboxes_before = #split(camp_t.mbx)
local mailboxes = split(camp_t.mbx)
local domains = split(camp_t.dom)
local camp_brand = camp_t.brand or sender_brand
local primary = camp_t.psnd or sender
if not contains(mailboxes, sender) and #mailboxes < 32 then mailboxes[#mailboxes + 1] = sender end
if not contains(domains, domain) and #domains < 16 then domains[#domains + 1] = domain end
local multi = #mailboxes >= 2
if redis.call('HEXISTS', P .. 'a', string.format('campaign:%08x', tonumber(camp))) == 1 then allowlisted = 1 end

local facts = {}
local seen_rcpts = {}
local any_pair_counted = false
-- The sender's recipients by streak live as long as its recipient set.
local streaks_new = card_of(sender_o, 'r') == 0
local streak_top, camp_streak_top = 0, 0  -- for the rankings: streaks only grow here
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
    -- The campaign's view of the recipient, read before this message
    -- changes the pair: kept apart once a second mailbox writes.
    -- While the sender is the first mailbox, its own pair is the view.
    local q, q_stored
    if primary == sender then
      q = camp_t.qv == '0' and {} or load(P .. 'q:' .. camp .. ':' .. rid)
      q_stored = next(q) ~= nil
      if not q_stored then
        q = {}
        for field, value in pairs(p) do q[field] = value end
        if num(q, 'total') > 0 then q.snd = sender end
      end
    else
      q, q_stored = campaign_view(camp, rid)
    end
    local use_view = q_stored or multi
    local q_follows = 0
    if cluster then
      for _, v in ipairs(split(q.tpl)) do if v ~= cluster then q_follows = 1 end end
    end
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
      count_member(sender_o, 'r', rid, nil)
      count_member(domain_o, 'r', rid, cap)
      count_member(camp_o, 'r', rid, cap)
      if use_view then
        if num(q, 'first') == 0 then q.first = now end
        q.last = math.max(num(q, 'last'), now)
        q.touched = math.max(num(q, 'touched'), now)
        q.total = num(q, 'total') + 1
        q.streak = num(q, 'streak') + 1
        local senders = split(q.snd)
        if not contains(senders, sender) and #senders < 16 then senders[#senders + 1] = sender end
        q.snd = table.concat(senders, ',')
        if cluster then
          local tpl = split(q.tpl)
          if not contains(tpl, cluster) then
            q.steps = num(q, 'steps') + 1
            tpl[#tpl + 1] = cluster
            while #tpl > template_cap do table.remove(tpl, 1) end
            q.tpl = table.concat(tpl, ',')
          end
        end
        q['m' .. bucket] = num(q, 'm' .. bucket) + 1
        for field, _ in pairs(q) do
          local b = string.match(field, '^m(%d+)$')
          if b and tonumber(b) < oldest then q[field] = nil end
        end
        store_view(camp, rid, q, camp_t.qv == '1')
        camp_t.qv = '1'
      end
      if cluster then count_member(tpl_o, 'r', rid, cap) end
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
                 'total', total, 'streak', streak, 'steps', steps, 'tag', tag, 'tpl', table.concat(templates, ','),
                 bucket_field, num(p, bucket_field) + 1)
      redis.call('EXPIRE', key, retention)
      redis.call('ZADD', P .. 'ps:' .. sender, streak, rid)
      if streaks_new then redis.call('EXPIRE', P .. 'ps:' .. sender, bucket_ttl) end
      streak_top = math.max(streak_top, streak)
      if primary == sender then camp_streak_top = math.max(camp_streak_top, streak) end
      if use_view then camp_streak_top = math.max(camp_streak_top, num(q, 'streak')) end
    end
    local view = p
    local view_key = key
    local view_extra = extra
    local view_follows = follows
    local senders = (total > 0 or extra > 0) and 1 or 0
    local view_streak, view_total, view_steps, view_first = streak, total, steps, first
    if use_view then
      view = q
      view_key = nil
      view_extra = 0
      view_follows = q_follows
      senders = #split(q.snd)
      view_streak, view_total, view_steps, view_first = num(q, 'streak'), num(q, 'total'), num(q, 'steps'), num(q, 'first')
    end
    local pair_sums = sums(p, key, extra)
    local view_sums = {}
    if view_key then view_sums = pair_sums else
      for j = 1, #widths do view_sums[j] = 0 end
      for field, value in pairs(view) do
        local b = string.match(field, '^m(%d+)$')
        if b then
          b = tonumber(b)
          for j, w in ipairs(widths) do if b > bucket - w and b <= bucket then view_sums[j] = view_sums[j] + tonumber(value) end end
        end
      end
    end
    local view_dialogue, view_reply = num(view, 'dialogue'), num(view, 'reply')
    if organisation ~= '' then
      local replied = tonumber(redis.call('GET', P .. 'o:' .. organisation .. ':' .. rid) or '0')
      if replied > 0 then view_dialogue = 1; view_reply = math.max(view_reply, replied) end
    end
    facts[k] = {duplicate and 1 or 0, total, pair_sums, streak, num(p, 'dialogue'), first, last,
                num(p, 'reply'), steps, repeated, follows,
                view_total, view_sums, view_streak, view_dialogue, view_first, view_reply, view_steps,
                view_follows, senders}
  end
end

local counted = (not message_duplicate) or any_pair_counted
local outcome = 2
if counted then outcome = 1 end
local message_extra = 0
if counted and not message_duplicate then message_extra = 1 end

-- One HSET per owner (its current bucket, sums and `more`), an HINCRBY per
-- older bucket a member left; its TTLs and what left the longest window
-- once per bucket. Returns the messages per window, this one included.
local function update_owner(o, more)
  local t = o.t
  if counted then
    if message_extra == 1 then
      bump(o, 'm', o.b, 1)
      for k = 1, #widths do o.sums.m[k] = o.sums.m[k] + 1 end
    end
    local fields = {'touched', math.max(num(t, 'touched'), now), 'w', o.b, 'ww', ARGV[5]}
    if not t.first then fields[#fields + 1] = 'first'; fields[#fields + 1] = now end
    if t.hv ~= '1' then fields[#fields + 1] = 'hv'; fields[#fields + 1] = 1 end
    if message_extra == 1 then fields[#fields + 1] = 'total'; fields[#fields + 1] = num(t, 'total') + 1 end
    for field, value in pairs(o.dirty) do fields[#fields + 1] = field; fields[#fields + 1] = value end
    for _, letter in ipairs(o.letters) do
      fields[#fields + 1] = letter == 'm' and 'sm' or 's' .. letter
      fields[#fields + 1] = table.concat(o.sums[letter], ',')
    end
    for _, v in ipairs(more or {}) do fields[#fields + 1] = v end
    sliced('HSET', o.key, fields)
    for field, delta in pairs(o.incr) do redis.call('HINCRBY', o.key, field, delta) end
    if #o.stale > 0 then sliced('HDEL', o.key, o.stale) end
    if o.fresh then
      redis.call('EXPIRE', o.key, bucket_ttl)
      for _, zkey in pairs(o.hists) do redis.call('EXPIRE', zkey, bucket_ttl) end
      for _, zkey in ipairs(o.ttl_sets) do redis.call('EXPIRE', zkey, bucket_ttl) end
    end
  end
  local out = {}
  for k = 1, #widths do out[k] = o.sums.m[k] end
  return out
end

local function copy(list)
  local out = {}
  for k, v in ipairs(list) do out[k] = v end
  return out
end

-- Why a mailbox joined the campaign (campaign_link.hpp), as the LMDB
-- store's CampaignLinksRecord keeps it: 'lkr' holds "reason TAB joins" lines,
-- most joins first (8 at most; when full the last stands for the rest);
-- 'lkj' the latest 16 joins as "time TAB mailbox TAB reason" lines, oldest first.
local function add_link(reasons_text, joins_text, mailbox, reason)
  local reasons, found = {}, false
  for line in string.gmatch(reasons_text, '[^\n]+') do
    local r, n = string.match(line, '^(.-)\t(%d+)$')
    if r then
      n = tonumber(n)
      if r == reason then n = n + 1; found = true end
      reasons[#reasons + 1] = {r, n}
    end
  end
  if not found then
    if #reasons < 8 then reasons[#reasons + 1] = {reason, 1} else reasons[#reasons][2] = reasons[#reasons][2] + 1 end
  end
  -- Stable: equal counts keep their order.
  for k = 2, #reasons do
    local j = k
    while j > 1 and reasons[j - 1][2] < reasons[j][2] do
      reasons[j - 1], reasons[j] = reasons[j], reasons[j - 1]
      j = j - 1
    end
  end
  local lines = {}
  for _, r in ipairs(reasons) do lines[#lines + 1] = r[1] .. '\t' .. r[2] end
  local joins = {}
  for line in string.gmatch(joins_text, '[^\n]+') do joins[#joins + 1] = line end
  joins[#joins + 1] = now .. '\t' .. string.gsub(mailbox, '%c', '?') .. '\t' .. reason
  while #joins > 16 do table.remove(joins, 1) end
  return table.concat(lines, '\n'), table.concat(joins, '\n')
end

local sender_messages = update_owner(sender_o, {'camp', camp})
local sender_members = copy(sender_o.sums.r)
local domain_messages = update_owner(domain_o)
local domain_members = copy(domain_o.sums.r)

local camp_out = {0}
local evidence_claimed = false
do
  local camp_messages = {}
  if counted then
    if message_extra == 1 then
      -- The campaign's evidence names it first: for a new member, and once
      -- per bucket for TTLs (the campaign's "eb").
      if linked_by ~= 'known mailbox' or num(camp_t, 'eb') ~= bucket then
        for _, e in ipairs(evidence) do claim_evidence(e[1], camp) end
        evidence_claimed = true
      end
      if created == 1 then redis.call('HSET', P .. 't:' .. cluster, 'camp', camp) end
      if linked_by == 'new' then
        -- A new campaign: its brand's variants, for lookalikes to come.
        for _, v in ipairs(variants) do claim_evidence(v[2], camp) end
      end
    end
  end
  local more = {'brand', camp_brand, 'psnd', primary, 'mbx', table.concat(mailboxes, ','), 'dom', table.concat(domains, ',')}
  if linked_by == 'new' and not camp_t.qv then more[#more + 1] = 'qv'; more[#more + 1] = 0 end
  if evidence_claimed then more[#more + 1] = 'eb'; more[#more + 1] = bucket end
  if counted and camp_joined == 1 then
    local links = redis.call('HMGET', camp_key, 'lkr', 'lkj')
    local reasons, joins = add_link(links[1] or '', links[2] or '', sender, linked_by)
    more[#more + 1] = 'lkr'; more[#more + 1] = reasons
    more[#more + 1] = 'lkj'; more[#more + 1] = joins
  end
  camp_messages = update_owner(camp_o, more)
  local camp_members = copy(camp_o.sums.r)
  camp_out = {1, tonumber(camp), camp_joined, linked_by, camp_brand, #mailboxes, #domains, camp_messages, camp_members}
  if counted then
    redis.call('ZADD', P .. 'top:cstreak', 'GT', camp_streak_top, camp)
    redis.call('ZADD', P .. 'top:creach', camp_members[#camp_members], camp)
    if camp_o.fresh or #mailboxes ~= mailboxes_before then redis.call('ZADD', P .. 'top:cmbx', #mailboxes, camp) end
    if camp_o.fresh then
      redis.call('ZADD', P .. 'top:cseen', now, camp)
      tend_rankings('top:cseen', {'top:cstreak', 'top:creach', 'top:cmbx', 'top:cseen'})
    end
  end
end

local cluster_out = {0}
if cluster then
  local tkey = P .. 't:' .. cluster
  if counted and message_extra == 1 then count_member(tpl_o, 'u', sender_hash, cap) end
  local messages = update_owner(tpl_o, bands_refreshed and {'bt', bucket} or nil)
  local recipients = copy(tpl_o.sums.r)
  local senders = copy(tpl_o.sums.u)
  local saturated = 0
  if card_of(tpl_o, 'r') >= cap or card_of(tpl_o, 'u') >= cap then saturated = 1 end
  local first = num(tpl, 'first')
  if first == 0 then first = now end
  cluster_out = {1, tonumber(cluster), created, math.floor(similarity * 1000 + 0.5), num(tpl, 'total') + message_extra,
                 first, math.max(num(tpl, 'touched'), now), saturated, messages, recipients, senders}
  if counted then
    redis.call('ZADD', P .. 'top:treach', recipients[#recipients], cluster)
    if tpl_o.fresh then
      redis.call('ZADD', P .. 'top:tseen', now, cluster)
      tend_rankings('top:tseen', {'top:treach', 'top:tseen'})
    end
  end
end

if counted then
  redis.call('ZADD', P .. 'top:volume', sender_messages[#sender_messages], sender)
  redis.call('ZADD', P .. 'top:reach', sender_members[#sender_members], sender)
  redis.call('ZADD', P .. 'top:streak', 'GT', streak_top, sender)
  if sender_o.fresh then
    redis.call('ZADD', P .. 'top:seen', now, sender)
    tend_rankings('top:seen', {'top:volume', 'top:reach', 'top:streak', 'top:seen'})
  end
end

-- The highest streaks of the sender's pairs and of its campaign (its own
-- views and its first mailbox's pairs) as the rankings hold them: bounds
-- that let the next RCPT check skip a round trip (state/streak_ceilings.hpp).
-- -1: not known (nothing of the sender or its campaign was ever counted).
local ceiling = {'ceiling', -1, 0, 0}
do
  local own = redis.call('ZSCORE', P .. 'top:streak', sender)
  local of_campaign = redis.call('ZSCORE', P .. 'top:cstreak', camp)
  if own and of_campaign then
    local highest = tonumber(of_campaign)
    if primary ~= sender then
      highest = math.max(highest, tonumber(redis.call('ZSCORE', P .. 'top:streak', primary) or '0'))
    end
    ceiling = {'ceiling', tonumber(own), tonumber(camp), highest}
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
do  -- the campaign's, when it has more
  local f = redis.call('HMGET', P .. 'fb:c:' .. string.format('%08x', tonumber(camp)), 'ham', 'out')
  feedback[4] = math.max(feedback[4], tonumber(f[1]) or 0); feedback[5] = math.max(feedback[5], tonumber(f[2]) or 0)
end

return {outcome, allowlisted, answers, sender_messages, sender_members, domain_messages, domain_members,
        cluster_out, facts, camp_out, feedback, ceiling}
)lua";

// ARGV: prefix, sender, recipient hash, sender domain, brand evidence hash,
// organisation hash (each empty when none). Returns the pair's fields, the allowlist hits, and
// {known, streak, dialogue, senders} of the campaign's view.
const std::string_view redis_peek_script = R"lua(
local P, sender, rid, domain, brand, organisation = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local pair = redis.call('HMGET', P .. 'p:' .. sender .. ':' .. rid, 'streak', 'dialogue', 'total', 'last', 'reply', 'touched')
local allowed = redis.call('HEXISTS', P .. 'a', sender) + redis.call('HEXISTS', P .. 'a', domain)
local camp = redis.call('HGET', P .. 's:' .. sender, 'camp')
if (not camp or redis.call('EXISTS', P .. 'c:' .. camp) == 0) and brand ~= '' then
  camp = string.match(redis.call('GET', P .. 'e:' .. brand) or '', '^[^,]+')
end
local out = {0, 0, 0, 0}
local organisation_dialogue = 0
if organisation ~= '' and redis.call('EXISTS', P .. 'o:' .. organisation .. ':' .. rid) == 1 then organisation_dialogue = 1 end
out[3] = organisation_dialogue
if camp and redis.call('EXISTS', P .. 'c:' .. camp) == 1 then
  local q = redis.call('HMGET', P .. 'q:' .. camp .. ':' .. rid, 'streak', 'dialogue', 'snd', 'total')
  if not q[4] then
    local primary = redis.call('HGET', P .. 'c:' .. camp, 'psnd') or ''
    local p = redis.call('HMGET', P .. 'p:' .. primary .. ':' .. rid, 'streak', 'dialogue', 'total')
    q = {p[1], p[2], (tonumber(p[3] or '0') or 0) > 0 and primary or '', p[3]}
  end
  local senders = 0
  for _ in string.gmatch(q[3] or '', '[^,]+') do senders = senders + 1 end
  allowed = allowed + redis.call('HEXISTS', P .. 'a', string.format('campaign:%08x', tonumber(camp)))
  out = {1, tonumber(q[1] or '0') or 0, math.max(tonumber(q[2] or '0') or 0, organisation_dialogue), senders}
end
return {pair, allowed, out}
)lua";

}  // namespace pushback::state::detail

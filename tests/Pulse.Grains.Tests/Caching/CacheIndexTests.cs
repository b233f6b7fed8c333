using Pulse.GrainInterfaces.Caching;
using Pulse.Grains.Caching;
using Xunit;

namespace Pulse.Grains.Tests.Caching;

/// <summary>
/// The tenant index on its own: the exact order in which it picks victims and reclaims expired entries,
/// and a randomized run against a plain reference model that sorts a list on every question.
/// </summary>
public sealed class CacheIndexTests
{
    private const long Now = 1_000_000;

    [Fact]
    public void VictimsAreExpiredSoonestFirstThenLowNormalHighEachLeastRecentlyUsedFirst()
    {
        var index = new CacheIndex();
        index.Upsert(Entry("high-old", priority: CachePriority.High, lastAccess: 10), 0);
        index.Upsert(Entry("normal-new", lastAccess: 50), 0);
        index.Upsert(Entry("low-new", priority: CachePriority.Low, lastAccess: 40), 0);
        index.Upsert(Entry("normal-old", lastAccess: 20), 0);
        index.Upsert(Entry("expired-late", priority: CachePriority.High, lastAccess: 90, expiresAt: Now - 10), 0);
        index.Upsert(Entry("low-old", priority: CachePriority.Low, lastAccess: 30), 0);
        index.Upsert(Entry("expired-early", lastAccess: 95, expiresAt: Now - 500), 0);
        index.Upsert(Entry("live-expiry", priority: CachePriority.Low, lastAccess: 35, expiresAt: Now + 1), 0);
        index.Upsert(Entry("never", priority: CachePriority.NeverRemove, lastAccess: 1), 0);

        List<CacheIndexRecord>? victims = index.SelectVictims(long.MaxValue, Now, exceptKey: null, bestEffort: true);

        Assert.Equal(
            ["expired-early", "expired-late", "low-old", "live-expiry", "low-new", "normal-old", "normal-new", "high-old"],
            Keys(victims));
    }

    [Fact]
    public void VictimsStopOnceEnoughIsFreed()
    {
        var index = new CacheIndex();
        index.Upsert(Entry("a", size: 100, lastAccess: 1), 0);
        index.Upsert(Entry("b", size: 100, lastAccess: 2), 0);
        index.Upsert(Entry("c", size: 100, lastAccess: 3), 0);

        Assert.Equal(["a"], Keys(index.SelectVictims(100, Now, exceptKey: null)));
        Assert.Equal(["a", "b"], Keys(index.SelectVictims(101, Now, exceptKey: null)));
        Assert.Empty(index.SelectVictims(0, Now, exceptKey: null)!);
    }

    [Fact]
    public void EqualTimesAreOrderedByOrdinalKey()
    {
        var index = new CacheIndex();
        foreach (string key in new[] { "b", "a", "B", "a1", "A" })
        {
            index.Upsert(Entry(key, lastAccess: 7, expiresAt: Now - 1), 0);
        }

        // Ordinal: upper case before lower case, a prefix before its extensions.
        Assert.Equal(["A", "B", "a", "a1", "b"], Keys(index.SelectVictims(long.MaxValue, Now, exceptKey: null, bestEffort: true)));
        Assert.Equal(["A", "B", "a", "a1", "b"], Keys(index.PastGrace(Now)));
    }

    [Fact]
    public void VictimsNeverIncludeTheExceptKeyNorALiveNeverRemoveEntry()
    {
        var index = new CacheIndex();
        index.Upsert(Entry("keep", size: 100, lastAccess: 1), 0);
        index.Upsert(Entry("pinned", size: 100, priority: CachePriority.NeverRemove, lastAccess: 2), 0);
        index.Upsert(Entry("pinned-expired", size: 100, priority: CachePriority.NeverRemove, lastAccess: 3, expiresAt: Now), 0);
        index.Upsert(Entry("other", size: 100, lastAccess: 4), 0);

        Assert.Equal(["pinned-expired", "other"], Keys(index.SelectVictims(200, Now, exceptKey: "keep")));
        Assert.Null(index.SelectVictims(201, Now, exceptKey: "keep"));
        Assert.Equal(["pinned-expired", "other"], Keys(index.SelectVictims(201, Now, exceptKey: "keep", bestEffort: true)));
    }

    [Fact]
    public void VictimsPassTheFilter()
    {
        var index = new CacheIndex();
        index.Upsert(Entry("s1-old", lastAccess: 1), siloSlot: 1);
        index.Upsert(Entry("s2-old", lastAccess: 2), siloSlot: 2);
        index.Upsert(Entry("s1-expired", lastAccess: 3, expiresAt: Now - 1), siloSlot: 1);
        index.Upsert(Entry("s2-expired", lastAccess: 4, expiresAt: Now - 2), siloSlot: 2);
        index.Upsert(Entry("s1-new", lastAccess: 5), siloSlot: 1);

        List<CacheIndexRecord>? victims = index.SelectVictims(long.MaxValue, Now, exceptKey: null, record => record.SiloSlot == 1, bestEffort: true);

        Assert.Equal(["s1-expired", "s1-old", "s1-new"], Keys(victims));
    }

    [Fact]
    public void PastGraceListsEntriesPastExpiryAndGraceSoonestExpiryFirstUpToMax()
    {
        var index = new CacheIndex();
        index.Upsert(Entry("no-expiry", lastAccess: 1), 0);
        index.Upsert(Entry("in-grace", expiresAt: Now - 100, staleMs: 101), 0);
        index.Upsert(Entry("grace-ends-now", expiresAt: Now - 100, staleMs: 100), 0);
        index.Upsert(Entry("late", expiresAt: Now), 0);
        index.Upsert(Entry("early", expiresAt: Now - 1_000), 0);
        index.Upsert(Entry("live", expiresAt: Now + 1), 0);

        Assert.Equal(["early", "grace-ends-now", "late"], Keys(index.PastGrace(Now)));
        Assert.Equal(3, index.CountPastGrace(Now));

        Assert.Equal(["early", "grace-ends-now"], Keys(index.PastGrace(Now, max: 2)));
        Assert.Empty(index.PastGrace(Now - 1_001));
    }

    [Fact]
    public void TouchIgnoresOtherVersionsAndKeepsTheLatestAccess()
    {
        var index = new CacheIndex();
        index.Upsert(Entry("a", version: 1, lastAccess: 10, expiresAt: Now + 100), 0);
        index.Upsert(Entry("b", version: 1, lastAccess: 20), 0);

        index.Touch(new CacheTouch("a", Version: 2, LastAccessUnixMs: 30, ExpiresAtUnixMs: Now + 500));
        index.Touch(new CacheTouch("missing", Version: 1, LastAccessUnixMs: 30, ExpiresAtUnixMs: 0));
        Assert.Equal(10, index.Find("a")!.LastAccessUnixMs);
        Assert.Equal(Now + 100, index.Find("a")!.ExpiresAtUnixMs);
        Assert.Equal(["a", "b"], Keys(index.SelectVictims(long.MaxValue, Now, exceptKey: null, bestEffort: true)));

        index.Touch(new CacheTouch("a", Version: 1, LastAccessUnixMs: 30, ExpiresAtUnixMs: Now - 5));
        Assert.Equal(30, index.Find("a")!.LastAccessUnixMs);
        Assert.Equal(["a", "b"], Keys(index.SelectVictims(long.MaxValue, Now, exceptKey: null, bestEffort: true)));

        // An older read (a late report) does not move the last access back, but its expiry is taken.
        index.Touch(new CacheTouch("a", Version: 1, LastAccessUnixMs: 5, ExpiresAtUnixMs: Now + 50));
        Assert.Equal(30, index.Find("a")!.LastAccessUnixMs);
        Assert.Equal(Now + 50, index.Find("a")!.ExpiresAtUnixMs);
        Assert.Equal(["b", "a"], Keys(index.SelectVictims(long.MaxValue, Now, exceptKey: null, bestEffort: true)));
    }

    [Fact]
    public void UpsertReplacesTheRecordOfItsKey()
    {
        var index = new CacheIndex();
        index.Upsert(Entry("a", version: 1, size: 100, tags: ["red", "blue"], durable: true, expiresAt: Now - 1, lastAccess: 1), 0);
        index.Upsert(Entry("b", version: 1, size: 10, lastAccess: 2), 0);

        CacheIndexRecord replaced = index.Upsert(Entry("a", version: 2, size: 40, tags: ["blue"], priority: CachePriority.High, lastAccess: 3), 5);

        Assert.Same(replaced, index.Find("a"));
        Assert.Equal(2, index.Count);
        Assert.Equal(50, index.Bytes);
        Assert.Equal(0, index.DurableCount);
        Assert.Equal(5, replaced.SiloSlot);
        Assert.Empty(index.WithTag("red"));
        Assert.Equal(new[] { "a" }, index.WithTag("blue"));
        Assert.Empty(index.PastGrace(Now));
        Assert.Equal(["b", "a"], Keys(index.SelectVictims(long.MaxValue, Now, exceptKey: null, bestEffort: true)));
    }

    [Fact]
    public void RemoveWithAVersionRemovesOnlyThatVersion()
    {
        var index = new CacheIndex();
        index.Upsert(Entry("a", version: 7, size: 30, tags: ["t"], durable: true, expiresAt: Now - 1), 0);

        Assert.Null(index.Remove("a", version: 6));
        Assert.Null(index.Remove("missing"));
        Assert.Equal(1, index.Count);

        CacheIndexRecord? removed = index.Remove("a", version: 7);
        Assert.Equal("a", removed?.Key);
        Assert.Null(index.Find("a"));
        Assert.Equal(0, index.Count);
        Assert.Equal(0, index.Bytes);
        Assert.Equal(0, index.DurableCount);
        Assert.Empty(index.WithTag("t"));
        Assert.Empty(index.PastGrace(Now));
        Assert.Empty(index.SelectVictims(long.MaxValue, Now, exceptKey: null, bestEffort: true)!);
        Assert.Empty(index.Records);

        index.Upsert(Entry("a", version: 8), 0);
        Assert.Equal(8, index.Remove("a")?.Version);
    }

    [Fact]
    public void SetExpiryMovesARecordInAndOutOfTheExpiryOrder()
    {
        var index = new CacheIndex();
        CacheIndexRecord a = index.Upsert(Entry("a", expiresAt: Now - 10), 0);
        index.Upsert(Entry("b", expiresAt: Now - 5), 0);

        index.SetExpiry(a, 0);
        Assert.Equal(["b"], Keys(index.PastGrace(Now)));

        index.SetExpiry(a, Now - 1);
        Assert.Equal(["b", "a"], Keys(index.PastGrace(Now)));

        index.SetExpiry(a, Now + 1);
        Assert.Equal(["b"], Keys(index.PastGrace(Now)));
    }

    [Fact]
    public void OrdersHoldWhileTheIndexGrowsAndShrinks()
    {
        var random = new Random(5);
        var index = new CacheIndex();
        var expected = new List<(long LastAccess, long ExpiresAt, string Key)>();
        for (int i = 0; i < 5_000; i++)
        {
            string key = "k" + i;
            long lastAccess = random.Next(1_000);
            long expiresAt = Now - random.Next(1_000);
            index.Upsert(Entry(key, lastAccess: lastAccess, expiresAt: expiresAt), 0);
            expected.Add((lastAccess, expiresAt, key));
        }

        // Most entries leave in random order, so the orders' arrays shrink under the ones that stay.
        foreach ((long _, long _, string key) in expected.OrderBy(_ => random.Next()).Take(4_950).ToList())
        {
            Assert.NotNull(index.Remove(key));
            expected.RemoveAll(entry => entry.Key == key);
        }

        List<string> byExpiry = [.. expected.OrderBy(static entry => entry.ExpiresAt).ThenBy(static entry => entry.Key, StringComparer.Ordinal).Select(static entry => entry.Key)];
        Assert.Equal(byExpiry, Keys(index.PastGrace(Now)));
        Assert.Equal(byExpiry, Keys(index.SelectVictims(long.MaxValue, Now, exceptKey: null, bestEffort: true)));

        foreach ((long _, long _, string key) in expected)
        {
            index.SetExpiry(index.Find(key)!, 0);
        }

        List<string> byRecency = [.. expected.OrderBy(static entry => entry.LastAccess).ThenBy(static entry => entry.Key, StringComparer.Ordinal).Select(static entry => entry.Key)];
        Assert.Empty(index.PastGrace(Now));
        Assert.Equal(byRecency, Keys(index.SelectVictims(long.MaxValue, Now, exceptKey: null, bestEffort: true)));
    }

    [Theory]
    [InlineData(1, 12, 4_000)]
    [InlineData(2, 60, 6_000)]
    [InlineData(3, 400, 8_000)]
    [InlineData(4, 3_000, 12_000)]
    public void BehavesLikeASortedReferenceModel(int seed, int keySpace, int operations)
    {
        var random = new Random(seed);
        var index = new CacheIndex();
        var model = new ReferenceModel();
        string[] keys = [.. Enumerable.Range(0, keySpace).Select(i => KeyOf(random, i))];
        string[] tagPool = ["red", "green", "blue", "x", "y"];
        long clock = Now;

        for (int step = 0; step < operations; step++)
        {
            // Time moves in small steps so that equal times, and so ties broken by key, are common.
            clock += random.Next(0, 3);
            string key = keys[random.Next(keys.Length)];
            int op = random.Next(100);
            if (op < 35)
            {
                CacheIndexEntry entry = Entry(
                    key,
                    version: random.Next(1, 4),
                    size: random.Next(0, 200),
                    priority: (CachePriority)random.Next(4),
                    tags: [.. tagPool.Where(_ => random.Next(4) == 0)],
                    expiresAt: random.Next(3) == 0 ? 0 : clock + random.Next(-60, 120),
                    staleMs: random.Next(3) == 0 ? 0 : random.Next(0, 40),
                    durable: random.Next(2) == 0,
                    lastAccess: clock - random.Next(0, 40));
                int slot = random.Next(-1, 3);
                CacheIndexRecord record = index.Upsert(entry, slot);
                model.Upsert(entry, slot);
                Assert.Equal(entry.Key, record.Key);
            }
            else if (op < 45)
            {
                long? version = random.Next(2) == 0 ? null : random.Next(1, 4);
                Assert.Equal(model.Remove(key, version)?.Version, index.Remove(key, version)?.Version);
            }
            else if (op < 65)
            {
                // Mostly the current version, with reads reported late or out of order.
                long version = model.Find(key)?.Version is { } current && random.Next(5) != 0 ? current : random.Next(1, 4);
                var touch = new CacheTouch(key, version, clock - random.Next(-5, 60), random.Next(4) == 0 ? 0 : clock + random.Next(-30, 120));
                index.Touch(touch);
                model.Touch(touch);
            }
            else if (op < 72)
            {
                if (index.Find(key) is { } record)
                {
                    long expiresAt = random.Next(4) == 0 ? 0 : clock + random.Next(-30, 120);
                    index.SetExpiry(record, expiresAt);
                    model.SetExpiry(key, expiresAt);
                }
            }
            else if (op < 90)
            {
                long bytes = random.Next(5) == 0 ? random.Next(0, 5_000) : random.Next(0, 400);
                string? exceptKey = random.Next(2) == 0 ? key : null;
                int filterKind = random.Next(3);
                int filterSlot = random.Next(-1, 3);
                bool bestEffort = random.Next(2) == 0;
                Func<string, int, bool>? filter = filterKind switch
                {
                    0 => null,
                    1 => (_, slot) => slot == filterSlot,
                    _ => (k, _) => k.Length % 2 == 0,
                };

                List<CacheIndexRecord>? victims = index.SelectVictims(
                    bytes, clock, exceptKey, filter is null ? null : record => filter(record.Key, record.SiloSlot), bestEffort);
                List<(string Key, long Version)>? expected = model.SelectVictims(bytes, clock, exceptKey, filter, bestEffort);
                Assert.Equal(expected, victims?.Select(static record => (record.Key, record.Version)).ToList());

                // The grain removes what it evicts: do so now and then, so victims leave the index too.
                if (victims is not null && random.Next(2) == 0)
                {
                    foreach (CacheIndexRecord victim in victims)
                    {
                        Assert.NotNull(index.Remove(victim.Key, victim.Version));
                        model.Remove(victim.Key, victim.Version);
                    }
                }
            }
            else
            {
                int max = random.Next(3) == 0 ? int.MaxValue : random.Next(0, 6);
                Assert.Equal(model.PastGrace(clock, max), index.PastGrace(clock, max).Select(static record => (record.Key, record.Version)).ToList());
                Assert.Equal(model.PastGrace(clock, int.MaxValue).Count, index.CountPastGrace(clock));
            }

            AssertSameContents(model, index, tagPool);
        }
    }

    private static void AssertSameContents(ReferenceModel model, CacheIndex index, string[] tagPool)
    {
        Assert.Equal(model.Entries.Count, index.Count);
        Assert.Equal(model.Entries.Sum(static entry => entry.Size), index.Bytes);
        Assert.Equal(model.Entries.Count(static entry => entry.Durable), index.DurableCount);
        Assert.Equal(
            model.Entries.Select(static entry => entry.Key).Order(StringComparer.Ordinal),
            index.Records.Select(static record => record.Key).Order(StringComparer.Ordinal));
        foreach (string tag in tagPool)
        {
            Assert.Equal(
                model.Entries.Where(entry => entry.Tags.Contains(tag)).Select(static entry => entry.Key).Order(StringComparer.Ordinal),
                index.WithTag(tag).Order(StringComparer.Ordinal));
        }

        foreach (ModelEntry entry in model.Entries)
        {
            CacheIndexRecord? record = index.Find(entry.Key);
            Assert.NotNull(record);
            Assert.Equal(
                (entry.Version, entry.Size, entry.Priority, entry.StaleMs, entry.Durable, entry.ExpiresAt, entry.LastAccess, entry.Slot),
                (record.Version, record.SizeBytes, record.Priority, record.StaleMs, record.Durable, record.ExpiresAtUnixMs, record.LastAccessUnixMs, record.SiloSlot));
            Assert.Equal(entry.Tags, record.Tags);
        }
    }

    // Keys that tell ordinal order from culture order: mixed case, digits, a prefix of another key.
    private static string KeyOf(Random random, int i) => random.Next(4) switch
    {
        0 => "K" + i,
        1 => "k" + i,
        2 => "k" + i + "_",
        _ => "é" + i,
    };

    private static List<string> Keys(List<CacheIndexRecord>? records) => [.. records!.Select(static record => record.Key)];

    private static CacheIndexEntry Entry(
        string key,
        long version = 1,
        long size = 10,
        CachePriority priority = CachePriority.Normal,
        string[]? tags = null,
        long expiresAt = 0,
        long staleMs = 0,
        bool durable = false,
        long lastAccess = 0) =>
        new(key, version, size, priority, tags ?? [], expiresAt, staleMs, durable, lastAccess, SiloInstance: "silo");

    private sealed class ModelEntry(CacheIndexEntry entry, int slot)
    {
        public string Key { get; } = entry.Key;

        public long Version { get; } = entry.Version;

        public long Size { get; } = entry.SizeBytes;

        public CachePriority Priority { get; } = entry.Priority;

        public string[] Tags { get; } = entry.Tags;

        public long StaleMs { get; } = entry.StaleMs;

        public bool Durable { get; } = entry.Durable;

        public int Slot { get; } = slot;

        public long ExpiresAt { get; set; } = entry.ExpiresAtUnixMs;

        public long LastAccess { get; set; } = entry.LastAccessUnixMs;
    }

    // The index's rules written the slow, obvious way: a list, sorted afresh for every question.
    private sealed class ReferenceModel
    {
        public List<ModelEntry> Entries { get; } = [];

        public ModelEntry? Find(string key) => Entries.Find(entry => entry.Key == key);

        public void Upsert(CacheIndexEntry entry, int slot)
        {
            Entries.RemoveAll(existing => existing.Key == entry.Key);
            Entries.Add(new ModelEntry(entry, slot));
        }

        public ModelEntry? Remove(string key, long? version)
        {
            ModelEntry? entry = Find(key);
            if (entry is null || (version is { } v && entry.Version != v))
            {
                return null;
            }

            Entries.Remove(entry);
            return entry;
        }

        public void Touch(CacheTouch touch)
        {
            if (Find(touch.Key) is { } entry && entry.Version == touch.Version)
            {
                entry.LastAccess = Math.Max(entry.LastAccess, touch.LastAccessUnixMs);
                entry.ExpiresAt = touch.ExpiresAtUnixMs;
            }
        }

        public void SetExpiry(string key, long expiresAt) => Find(key)!.ExpiresAt = expiresAt;

        public List<(string Key, long Version)> PastGrace(long now, int max)
        {
            List<(string, long)> result = [];
            foreach (ModelEntry entry in ByExpiry().TakeWhile(entry => entry.ExpiresAt <= now))
            {
                if (result.Count >= max)
                {
                    break;
                }

                if (now >= entry.ExpiresAt + entry.StaleMs)
                {
                    result.Add((entry.Key, entry.Version));
                }
            }

            return result;
        }

        public List<(string Key, long Version)>? SelectVictims(long bytes, long now, string? exceptKey, Func<string, int, bool>? filter, bool bestEffort)
        {
            IEnumerable<ModelEntry> candidates = ByExpiry().TakeWhile(entry => entry.ExpiresAt <= now)
                .Concat(ByRecency(CachePriority.Low))
                .Concat(ByRecency(CachePriority.Normal))
                .Concat(ByRecency(CachePriority.High));
            List<(string, long)> victims = [];
            HashSet<string> chosen = new(StringComparer.Ordinal);
            long freed = 0;
            foreach (ModelEntry entry in candidates)
            {
                if (freed >= bytes)
                {
                    break;
                }

                if (entry.Key != exceptKey && (filter is null || filter(entry.Key, entry.Slot)) && chosen.Add(entry.Key))
                {
                    victims.Add((entry.Key, entry.Version));
                    freed += entry.Size;
                }
            }

            return freed >= bytes || bestEffort ? victims : null;
        }

        private IEnumerable<ModelEntry> ByExpiry() =>
            Entries.Where(static entry => entry.ExpiresAt != 0)
                .OrderBy(static entry => entry.ExpiresAt)
                .ThenBy(static entry => entry.Key, StringComparer.Ordinal)
                .ToList();

        private IEnumerable<ModelEntry> ByRecency(CachePriority priority) =>
            Entries.Where(entry => entry.Priority == priority)
                .OrderBy(static entry => entry.LastAccess)
                .ThenBy(static entry => entry.Key, StringComparer.Ordinal)
                .ToList();
    }
}

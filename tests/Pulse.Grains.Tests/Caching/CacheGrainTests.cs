using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Pulse.GrainInterfaces.Caching;
using Pulse.Grains.Caching;
using Pulse.Runtime;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Storage;
using Pulse.Runtime.Testing;
using Xunit;

namespace Pulse.Grains.Tests.Caching;

/// <summary>The cache entry and tenant index grains in a real silo on a controllable clock.</summary>
public sealed class CacheGrainTests : IAsyncLifetime
{
    private const string Tenant = "t1";

    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly MemoryGrainStorageStore _store = new();
    private TestSilo _silo = null!;

    private IGrainFactory Grains => _silo.GrainFactory;

    private CacheSiloActivity Activity => _silo.Services.GetRequiredService<CacheSiloActivity>();

    private ITenantCacheGrain Index => Grains.GetGrain<ITenantCacheGrain>(Tenant);

    public async Task InitializeAsync() => _silo = await StartSiloAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task AnEntryIsServedUntilItsTtlThenMisses()
    {
        ICacheEntryGrain entry = Entry("a");
        CachePutResult put = await entry.PutAsync(Put("1", ttlMs: 10_000));
        Assert.Equal(CachePutStatus.Created, put.Status);

        await AdvanceAsync(entry, TimeSpan.FromMilliseconds(9_900));
        CacheGetResult hit = await entry.GetAsync(0);
        Assert.Equal(CacheLookup.Hit, hit.Lookup);
        Assert.Equal("1", Encoding.UTF8.GetString(hit.Value!));
        Assert.Equal(put.ETag, hit.ETag);
        Assert.Equal(100, hit.TtlRemainingMs);
        Assert.Equal(9_900, hit.AgeMs);

        await AdvanceAsync(entry, TimeSpan.FromMilliseconds(100));
        Assert.Equal(CacheLookup.Miss, (await entry.GetAsync(0)).Lookup);
        await WaitForIndexAsync(stats => stats.Entries == 0 && stats.Expirations == 1, "the expired entry to leave the index");
    }

    [Fact]
    public async Task ASlidingEntryLivesAsLongAsItIsRead()
    {
        ICacheEntryGrain entry = Entry("s");
        await entry.PutAsync(Put("1", ttlMs: 10_000, sliding: true));
        for (int i = 0; i < 5; i++)
        {
            await AdvanceAsync(entry, TimeSpan.FromSeconds(8));
            CacheGetResult hit = await entry.GetAsync(0);
            Assert.Equal(CacheLookup.Hit, hit.Lookup);
            Assert.Equal(10_000, hit.TtlRemainingMs);
        }

        // The index heard of the moved expiry, so its sweep keeps the entry.
        await Activity.FlushAsync();
        await Index.RunMaintenanceAsync();
        Assert.Equal(1, (await Index.GetStatsAsync()).Entries);

        await AdvanceAsync(entry, TimeSpan.FromMilliseconds(10_000));
        Assert.Equal(CacheLookup.Miss, (await entry.GetAsync(0)).Lookup);
    }

    [Fact]
    public async Task AnExpiredEntryIsServedStaleWithinItsGraceAndOneCallerGetsTheLease()
    {
        ICacheEntryGrain entry = Entry("g");
        await entry.PutAsync(Put("\"old\"", ttlMs: 10_000, staleMs: 5_000));
        await AdvanceAsync(entry, TimeSpan.FromSeconds(12));

        CacheGetResult first = await entry.GetAsync(30_000);
        Assert.Equal(CacheLookup.Stale, first.Lookup);
        Assert.Equal("\"old\"", Encoding.UTF8.GetString(first.Value!));
        Assert.NotNull(first.LeaseToken);

        CacheGetResult second = await entry.GetAsync(30_000);
        Assert.Equal(CacheLookup.Stale, second.Lookup);
        Assert.Null(second.LeaseToken);
        Assert.True(second.LeaseHeldMs > 0);

        CachePutResult refreshed = await entry.PutAsync(Put("\"new\"", ttlMs: 10_000, staleMs: 5_000) with { LeaseToken = first.LeaseToken });
        Assert.Equal(CachePutStatus.Replaced, refreshed.Status);
        Assert.Equal(CacheLookup.Hit, (await entry.GetAsync(0)).Lookup);

        await AdvanceAsync(entry, TimeSpan.FromSeconds(15));
        Assert.Equal(CacheLookup.Miss, (await entry.GetAsync(0)).Lookup);
    }

    [Fact]
    public async Task AHundredConcurrentLeasedReadsOfAMissLetExactlyOneRecompute()
    {
        ICacheEntryGrain entry = Entry("hot");
        CacheGetResult[] first = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => entry.GetAsync(5_000).AsTask()));
        CacheGetResult holder = Assert.Single(first, result => result.LeaseToken is not null);
        Assert.All(first.Where(result => result != holder), result => Assert.True(result.LeaseHeldMs > 0));

        Task<CacheGetResult>[] waiting = [.. Enumerable.Range(0, 99).Select(_ => entry.WaitAsync(5_000, 5_000).AsTask())];
        Assert.DoesNotContain(waiting, task => task.IsCompleted);

        Assert.Equal(CachePutStatus.LeaseLost, (await entry.PutAsync(Put("0") with { LeaseToken = "not-the-lease" })).Status);
        Assert.Equal(CachePutStatus.Created, (await entry.PutAsync(Put("42") with { LeaseToken = holder.LeaseToken })).Status);
        CacheGetResult[] woken = await Task.WhenAll(waiting);
        Assert.All(woken, result => Assert.Equal("42", Encoding.UTF8.GetString(result.Value!)));
    }

    [Fact]
    public async Task WaitersOfALeaseThatEndsWithoutAWriteGetItOneAtATime()
    {
        ICacheEntryGrain entry = Entry("abandoned");
        Assert.NotNull((await entry.GetAsync(1_000)).LeaseToken);
        Task<CacheGetResult> waiter = entry.WaitAsync(10_000, 1_000).AsTask();

        // Move the clock until the lease ends for the waiter (whether it was already waiting or arrives after).
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (!waiter.IsCompleted && DateTime.UtcNow < deadline)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(500));
            await Task.WhenAny(waiter, Task.Delay(20));
        }

        CacheGetResult after = await waiter;
        Assert.Equal(CacheLookup.Miss, after.Lookup);
        Assert.NotNull(after.LeaseToken);
    }

    [Fact]
    public async Task ConditionsCompareTheETag()
    {
        ICacheEntryGrain entry = Entry("cas");
        CachePutResult created = await entry.PutAsync(Put("1") with { IfNoneMatch = true });
        Assert.Equal(CachePutStatus.Created, created.Status);
        Assert.Equal(CachePutStatus.PreconditionFailed, (await entry.PutAsync(Put("2") with { IfNoneMatch = true })).Status);
        Assert.Equal(CachePutStatus.PreconditionFailed, (await entry.PutAsync(Put("2") with { IfMatch = "0000000000000001" })).Status);

        CachePutResult replaced = await entry.PutAsync(Put("2") with { IfMatch = created.ETag });
        Assert.Equal(CachePutStatus.Replaced, replaced.Status);
        Assert.NotEqual(created.ETag, replaced.ETag);
        Assert.Equal(CachePutStatus.PreconditionFailed, (await entry.PutAsync(Put("3") with { IfMatch = created.ETag })).Status);
        Assert.Equal("2", Encoding.UTF8.GetString((await entry.GetAsync(0)).Value!));

        Assert.True(await entry.DeleteAsync());
        Assert.False(await entry.DeleteAsync());
        Assert.Equal(CachePutStatus.PreconditionFailed, (await Entry("cas").PutAsync(Put("4") with { IfMatch = "*" })).Status);
    }

    [Fact]
    public async Task OverQuotaEvictsExpiredThenLowThenLeastRecentlyUsedAndKeepsNeverRemove()
    {
        // Each entry is charged its key (1 byte) plus a 99-byte value: 100 bytes.
        await Index.SetQuotaAsync(600);
        await Entry("x").PutAsync(Put(Value(99), ttlMs: 1_000, priority: CachePriority.High));
        await Entry("n").PutAsync(Put(Value(99), priority: CachePriority.NeverRemove));
        await Entry("h").PutAsync(Put(Value(99), priority: CachePriority.High));
        await Entry("a").PutAsync(Put(Value(99), priority: CachePriority.Normal));
        await Entry("l").PutAsync(Put(Value(99), priority: CachePriority.Low));
        await Entry("b").PutAsync(Put(Value(99), priority: CachePriority.Normal));
        Assert.Equal(600, (await Index.GetStatsAsync()).Bytes);

        // 'a' is read after 'b' was written, so 'b' is now the least recently used normal entry.
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(CacheLookup.Hit, (await Entry("a").GetAsync(0)).Lookup);
        await Activity.FlushAsync();

        await Entry("c1").PutAsync(Put(Value(98)));
        Assert.Equal(["a", "b", "c1", "h", "l", "n"], await LiveKeysAsync("x", "n", "h", "a", "l", "b", "c1"));
        await Entry("c2").PutAsync(Put(Value(98)));
        Assert.Equal(["a", "b", "c1", "c2", "h", "n"], await LiveKeysAsync("x", "n", "h", "a", "l", "b", "c1", "c2"));
        await Entry("c3").PutAsync(Put(Value(98)));
        Assert.Equal(["a", "c1", "c2", "c3", "h", "n"], await LiveKeysAsync("n", "h", "a", "b", "c1", "c2", "c3"));

        CacheStats stats = await Index.GetStatsAsync();
        Assert.Equal((1L, 2L, 6L, 600L), (stats.Expirations, stats.Evictions, stats.Entries, stats.Bytes));
    }

    [Fact]
    public async Task AWriteThatCannotFitBesideNeverRemoveEntriesIsRefusedAndChangesNothing()
    {
        await Index.SetQuotaAsync(250);
        await Entry("n1").PutAsync(Put(Value(98), priority: CachePriority.NeverRemove));
        await Entry("n2").PutAsync(Put(Value(98), priority: CachePriority.NeverRemove));
        await Entry("l").PutAsync(Put(Value(10), priority: CachePriority.Low));

        CachePutResult refused = await Entry("big").PutAsync(Put(Value(97)));
        Assert.Equal(CachePutStatus.InsufficientStorage, refused.Status);
        Assert.Equal(["l", "n1", "n2"], await LiveKeysAsync("n1", "n2", "l", "big"));
        Assert.Equal(CachePutStatus.InsufficientStorage, (await Entry("huge").PutAsync(Put(Value(300)))).Status);
    }

    [Fact]
    public async Task PatternAndTagDeletesRemoveExactlyTheMatchingKeysOfTheTenant()
    {
        for (int i = 0; i < 30; i++)
        {
            string[] tags = i % 3 == 0 ? ["three"] : [];
            await Entry($"user:{i}").PutAsync(Put($"{i}", tags: tags));
            await Entry($"order:{i}").PutAsync(Put($"{i}", tags: tags));
        }

        await Grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry("t2", "user:1")).PutAsync(Put("other tenant"));

        Assert.Equal(11, await Index.DeleteMatchingAsync("user:1*", null));
        Assert.Equal(CacheLookup.Miss, (await Entry("user:17").GetAsync(0)).Lookup);
        Assert.Equal(CacheLookup.Hit, (await Entry("user:2").GetAsync(0)).Lookup);
        Assert.Equal(CacheLookup.Hit, (await Grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry("t2", "user:1")).GetAsync(0)).Lookup);

        // user:0, 3, 6, 9, 21, 24, 27 (12, 15 and 18 are already gone) and order:0..27 step 3.
        Assert.Equal(7 + 10, await Index.DeleteMatchingAsync(null, "three"));
        Assert.Equal(CacheLookup.Miss, (await Entry("order:27").GetAsync(0)).Lookup);
        Assert.Equal(CacheLookup.Hit, (await Entry("order:26").GetAsync(0)).Lookup);
        Assert.Equal(60 - 11 - 17, (await Index.GetStatsAsync()).Entries);
        await Assert.ThrowsAsync<ArgumentException>(async () => await Index.DeleteMatchingAsync("user:[", null));
    }

    [Fact]
    public async Task DurableEntriesAreStoredBeforeTheWriteIsAcknowledgedAndSurviveARestart()
    {
        await Entry("d").PutAsync(Put("{\"kept\":true}", durable: true, ttlMs: 3_600_000));
        await Entry("m").PutAsync(Put("\"memory only\""));
        Assert.True(await IsStoredAsync("d"));
        Assert.False(await IsStoredAsync("m"));

        await _silo.DisposeAsync();
        _silo = await StartSiloAsync();

        CacheGetResult kept = await Entry("d").GetAsync(0);
        Assert.Equal(CacheLookup.Hit, kept.Lookup);
        Assert.Equal("{\"kept\":true}", Encoding.UTF8.GetString(kept.Value!));
        Assert.Equal(CacheLookup.Miss, (await Entry("m").GetAsync(0)).Lookup);

        Assert.True(await Entry("d").DeleteAsync());
        Assert.False(await IsStoredAsync("d"));
    }

    [Fact]
    public async Task ReadsAreCountedOnTheSiloAndReportedToTheIndex()
    {
        await Entry("k").PutAsync(Put("1"));
        await Entry("k").GetAsync(0);
        await Entry("k").GetAsync(0);
        await Entry("missing").GetAsync(0);
        await Activity.FlushAsync();
        CacheStats stats = await Index.GetStatsAsync();
        Assert.Equal((2L, 1L), (stats.Hits, stats.Misses));
        Assert.Equal(2.0 / 3, stats.HitRate, 6);
    }

    [Fact]
    public async Task ARebuiltIndexLearnsTheMemoryOnlyEntriesOfItsTenantFromTheSilo()
    {
        for (int i = 0; i < 5; i++)
        {
            await Entry($"m{i}").PutAsync(Put("1", tags: ["t"]));
        }

        await Grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry("other", "m0")).PutAsync(Put("1", tags: ["t"]));
        await Entry("m4").DeleteAsync();

        // The index keeps its entries only in memory: a new activation starts empty, with a new incarnation.
        await _silo.DeactivateAsync(TestSilo.GetGrainId(Index));
        Assert.Equal(0, (await Index.GetStatsAsync()).Entries);

        // The silo's next report meets the new incarnation and registers what it holds for this tenant.
        await Activity.FlushAsync();
        CacheStats stats = await Index.GetStatsAsync();
        Assert.Equal(4, stats.Entries);
        Assert.Equal(4, await Index.DeleteMatchingAsync(pattern: null, tag: "t"));
        Assert.Equal(CacheLookup.Hit, (await Grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry("other", "m0")).GetAsync(0)).Lookup);
    }

    [Fact]
    public async Task ASiloOverItsCacheLimitShedsInEvictionOrder()
    {
        await using TestSilo limited = await TestSilo.StartAsync(
            silo => silo.AddGrainAssembly(typeof(GrainsAssembly).Assembly).AddMemoryGrainStorage(),
            services => services.AddSingleton<TimeProvider>(_clock).Configure<CacheOptions>(options => options.SiloMaxBytes = 1_000));
        IGrainFactory grains = limited.GrainFactory;
        for (int i = 0; i < 10; i++)
        {
            CachePriority priority = i < 5 ? CachePriority.High : CachePriority.Low;
            await grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry(Tenant, $"k{i}")).PutAsync(Put(Value(148), priority: priority));
        }

        CacheSiloActivity activity = limited.Services.GetRequiredService<CacheSiloActivity>();
        Assert.Equal(1_500, activity.Bytes);
        long freed = await activity.ShedIfNeededAsync();
        Assert.Equal(600, freed);
        await TestSilo.WaitUntilAsync(() => activity.Bytes == 900, "the shed entries to leave memory");
        CacheStats stats = await grains.GetGrain<ITenantCacheGrain>(Tenant).GetStatsAsync();
        Assert.Equal((6L, 4L), (stats.Entries, stats.Evictions));
        Assert.Equal(CacheLookup.Hit, (await grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry(Tenant, "k0")).GetAsync(0)).Lookup);
        Assert.Equal(CacheLookup.Miss, (await grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry(Tenant, "k5")).GetAsync(0)).Lookup);
    }

    private async Task<bool> IsStoredAsync(string key)
    {
        IGrainStorage storage = _silo.Services.GetRequiredKeyedService<IGrainStorage>("Default");
        var record = new StoredEntry();
        await storage.ReadStateAsync("entry", TestSilo.GetGrainId(Entry(key)), record, CancellationToken.None);
        return record.RecordExists;
    }

    private ICacheEntryGrain Entry(string key) => Grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry(Tenant, key));

    private static CachePut Put(string json, long ttlMs = 0, bool sliding = false, long staleMs = 0, CachePriority priority = CachePriority.Normal, string[]? tags = null, bool durable = false) =>
        new(Encoding.UTF8.GetBytes(json), new CacheEntryOptions(ttlMs, sliding, priority, tags ?? [], durable, staleMs));

    // A JSON string value of exactly 'bytes' bytes.
    private static string Value(int bytes) => "\"" + new string('v', bytes - 2) + "\"";

    private async Task<string[]> LiveKeysAsync(params string[] keys)
    {
        List<string> live = [];
        foreach (string key in keys)
        {
            if ((await Entry(key).GetAsync(0)).Lookup == CacheLookup.Hit)
            {
                live.Add(key);
            }
        }

        live.Sort(StringComparer.Ordinal);
        return [.. live];
    }

    private async Task AdvanceAsync(ICacheEntryGrain entry, TimeSpan by)
    {
        await _silo.WaitUntilQuiescentAsync(entry);
        _clock.Advance(by);
    }

    private async Task WaitForIndexAsync(Func<CacheStats, bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        CacheStats stats = await Index.GetStatsAsync();
        while (!condition(stats))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Gave up waiting for {what}; last statistics: {stats}.");
            await Task.Delay(5);
            stats = await Index.GetStatsAsync();
        }
    }

    private sealed class StoredEntry : IGrainState<CacheEntryState>
    {
        public CacheEntryState State { get; set; } = new();

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }

    private Task<TestSilo> StartSiloAsync() => TestSilo.StartAsync(
        silo => silo.AddGrainAssembly(typeof(GrainsAssembly).Assembly).AddMemoryGrainStorage(store: _store),
        services => services.AddSingleton<TimeProvider>(_clock));
}

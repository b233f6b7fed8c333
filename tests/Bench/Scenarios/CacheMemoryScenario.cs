using System.Runtime;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Pulse.GrainInterfaces.Caching;
using Pulse.Grains;
using Pulse.Grains.Caching;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Testing;

namespace Pulse.Bench.Scenarios;

/// <summary>
/// Managed memory per cache entry beyond its key and value (issue 5: at most 512 B), split into the
/// entry's activation on its silo and its record in the tenant's index. Three phases on one silo, each
/// measured as the settled heap's growth:
/// <list type="number">
/// <item>cache entries: <c>ICacheEntryGrain.PutAsync</c> of N keys (100-byte JSON values, 1 h TTL), which
/// also admits each into tenant <c>bench</c>'s index: entry activations + index;</item>
/// <item>index alone: the same N records admitted straight into tenant <c>bench-index</c>'s index, with
/// no entry grain behind them;</item>
/// <item>bare activations: N idle activations of a grain without state, keys of the same length, so
/// the runtime's share of an entry (catalog entry, activation, grain id) is known.</item>
/// </list>
/// Run it with <c>dotnet run -c Release --project tests/Bench -- cache-memory</c>.
/// </summary>
internal static class CacheMemoryScenario
{
    private const string Tenant = "bench";
    private const string IndexOnlyTenant = "bench-index";
    private const int ValueBytes = 100;
    // Calls in flight at once. About 1,000 calls queued at one grain (the tenant index, phase 2) that
    // complete synchronously overflow the stack and kill the process in the runtime today:
    // GrainActivation.Start -> Complete -> OnItemCompleted -> Start recurses once per queued item.
    // 500 runs clear of that.
    private const int Batch = 500;

    public static async Task RunAsync(int count)
    {
        await using TestSilo silo = await TestSilo.StartAsync(
            builder => builder.AddGrainAssembly(typeof(GrainsAssembly).Assembly).AddMemoryGrainStorage(),
            // The index-only tenant has no entries on any silo, so no silo heartbeats for it; an index
            // forgets a silent silo's memory-only entries after three heartbeat periods. An hour keeps
            // the records there while they are measured.
            services => services.Configure<CacheOptions>(options => options.HeartbeatPeriod = TimeSpan.FromHours(1)));
        CacheSiloActivity activity = silo.Services.GetRequiredService<CacheSiloActivity>();
        var options = CacheEntryOptions.Default with { TtlMs = (long)TimeSpan.FromHours(1).TotalMilliseconds };

        // Warm up code paths, both indexes' first activations and the catalog's first growth.
        await silo.GrainFactory.GetGrain<ICacheEntryGrain>(CacheKeys.Entry(Tenant, "warm")).PutAsync(new CachePut(NewValue(), options));
        await silo.GrainFactory.GetGrain<ITenantCacheGrain>(IndexOnlyTenant).AdmitAsync(IndexEntry("warm", activity.InstanceId));
        await silo.GrainFactory.GetGrain<IEmptyGrain>("empty/warm").TouchAsync();

        long keyBytes = 0;
        for (int i = 0; i < count; i++)
        {
            keyBytes += Encoding.UTF8.GetByteCount(CacheKey(i));
        }

        Settled start = Settle();

        // Phase 1: entries through the grain API. Keys and values are made inside the loop, as a gateway
        // would make them per request, so the heap growth holds them too.
        for (int first = 0; first < count; first += Batch)
        {
            var puts = new List<Task<CachePutResult>>(Batch);
            for (int i = first; i < Math.Min(count, first + Batch); i++)
            {
                puts.Add(silo.GrainFactory.GetGrain<ICacheEntryGrain>(CacheKeys.Entry(Tenant, CacheKey(i))).PutAsync(new CachePut(NewValue(), options)).AsTask());
            }

            foreach (CachePutResult put in await Task.WhenAll(puts))
            {
                if (put.Status != CachePutStatus.Created)
                {
                    throw new InvalidOperationException($"a put answered {put.Status}; the figures would not be of {count:N0} entries");
                }
            }
        }

        Settled afterEntries = Settle();
        CacheStats entryStats = await silo.GrainFactory.GetGrain<ITenantCacheGrain>(Tenant).GetStatsAsync();

        // Phase 2: the same records in another tenant's index, without entry grains.
        ITenantCacheGrain indexOnly = silo.GrainFactory.GetGrain<ITenantCacheGrain>(IndexOnlyTenant);
        for (int first = 0; first < count; first += Batch)
        {
            var admits = new List<Task<CacheAdmission>>(Batch);
            for (int i = first; i < Math.Min(count, first + Batch); i++)
            {
                admits.Add(indexOnly.AdmitAsync(IndexEntry(CacheKey(i), activity.InstanceId)).AsTask());
            }

            await Task.WhenAll(admits);
        }

        Settled afterIndex = Settle();
        CacheStats indexStats = await indexOnly.GetStatsAsync();

        // Phase 3: bare activations with keys of the same shape ("empty/k123" beside "bench/k123").
        for (int first = 0; first < count; first += Batch)
        {
            var touches = new List<Task>(Batch);
            for (int i = first; i < Math.Min(count, first + Batch); i++)
            {
                touches.Add(silo.GrainFactory.GetGrain<IEmptyGrain>("empty/" + CacheKey(i)).TouchAsync().AsTask());
            }

            await Task.WhenAll(touches);
        }

        Settled afterEmpty = Settle();

        if (entryStats.Entries < count || indexStats.Entries < count)
        {
            throw new InvalidOperationException(
                $"the indexes hold {entryStats.Entries:N0} and {indexStats.Entries:N0} entries, not {count:N0}: something was evicted or forgotten while measuring");
        }

        double n = count;
        double keyAvg = keyBytes / n;
        double total = (afterEntries.Heap - start.Heap) / n;
        double index = (afterIndex.Heap - afterEntries.Heap) / n;
        double entrySide = total - index;
        double bareActivation = (afterEmpty.Heap - afterIndex.Heap) / n;
        double overhead = total - ValueBytes - keyAvg;

        Console.WriteLine($"cache-memory: {count:N0} entries of tenant '{Tenant}' ({ValueBytes}-byte JSON values, cache keys k0..k{count - 1}, {keyAvg:N2} B of UTF-8 on average), ttl 1 h, memory only");
        Console.WriteLine($"  {silo.ActivationCount:N0} activations at the end; the indexes hold {entryStats.Entries:N0} ('{Tenant}', {entryStats.Bytes:N0} B charged to its quota) and {indexStats.Entries:N0} ('{IndexOnlyTenant}')");
        Console.WriteLine($"  managed heap after full compacting GCs (GC.GetTotalMemory), growth per entry; GCMemoryInfo (heap minus fragmentation) in brackets:");
        Console.WriteLine($"    entry + index (PutAsync)         {total,8:N0} B   [{(afterEntries.Live - start.Live) / n:N0} B]");
        Console.WriteLine($"    overhead beyond key and value    {overhead,8:N0} B   = growth - {ValueBytes} B value - {keyAvg:N2} B key (UTF-8)   goal <= 512 B: {(overhead <= 512 ? "met" : "MISSED")}");
        Console.WriteLine($"  breakdown:");
        Console.WriteLine($"    tenant index record (AdmitAsync)  {index,8:N0} B   [{(afterIndex.Live - afterEntries.Live) / n:N0} B]   measured: a second tenant's index, no entry grains");
        Console.WriteLine($"    entry side (silo)                 {entrySide,8:N0} B   = entry + index - index record; includes the value and key below");
        Console.WriteLine($"      bare idle activation            {bareActivation,8:N0} B   [{(afterEmpty.Live - afterIndex.Live) / n:N0} B]   measured: a grain without state, key 'empty/k<i>' (catalog, activation, grain id, key string)");
        Console.WriteLine($"      value byte[]                    {ValueBytes + 24,8:N0} B   estimate: {ValueBytes} B + 24 B array header");
        Console.WriteLine($"      the rest of the entry grain     {entrySide - bareActivation - ValueBytes - 24,8:N0} B   = entry side - bare activation - value array (its fields, silo bookkeeping, tags array, ETag)");
    }

    private static string CacheKey(int i) => "k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // A JSON string of ValueBytes bytes, quotes included.
    private static byte[] NewValue()
    {
        byte[] value = new byte[ValueBytes];
        value.AsSpan().Fill((byte)'x');
        value[0] = (byte)'"';
        value[^1] = (byte)'"';
        return value;
    }

    private static CacheIndexEntry IndexEntry(string key, string siloInstance)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return new CacheIndexEntry(key, Version: 1, CacheLimits.ChargedBytes(key, ValueBytes, []), CachePriority.Normal, [],
            ExpiresAtUnixMs: now + (long)TimeSpan.FromHours(1).TotalMilliseconds, StaleMs: 0, Durable: false, now, siloInstance);
    }

    private readonly record struct Settled(long Heap, long Live);

    // Full blocking compacting collections (large object heap included) until the heap stops moving.
    private static Settled Settle()
    {
        for (int i = 0; i < 3; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        long heap = GC.GetTotalMemory(forceFullCollection: true);
        GCMemoryInfo info = GC.GetGCMemoryInfo(GCKind.Any);
        return new Settled(heap, info.HeapSizeBytes - info.FragmentedBytes);
    }
}

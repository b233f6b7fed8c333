using Pulse.Bench.Scenarios;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Testing;

// Usage: dotnet run -c Release --project tests/Bench -- <scenario> [seconds]
// Scenarios: local-calls, limiter-calls [seconds] [activations], transport, client-calls, client-calls-split, forwarded-calls, fan-out-calls, activation-memory,
// cache-memory [entries], storage-sqlite, storage-postgres, all; and client-latency <calls/s> [seconds] [runs],
// an open loop at a fixed rate. silo-host and split-client are the two processes client-calls-split starts.
// As the silo and gateway hosts do, before any socket exists, so the figures are the deployed runtime's.
SocketEngineDefaults.PreferInlineCompletions();

// Before the host starts its threads, which inherit the slice (see ThreadSliceDefaults).
ThreadSliceOutcome threadSlices = ThreadSliceDefaults.PreferShortSlices();
string scenario = args.Length > 0 ? args[0] : "all";
if (scenario == SplitClientCallsScenario.SiloRole && args.Length == 2)
{
    return await SplitClientCallsScenario.RunSiloAsync(args[1]);
}

if (scenario == SplitClientCallsScenario.ClientRole && args.Length == 4)
{
    return await SplitClientCallsScenario.RunClientAsync(
        args[1], TimeSpan.FromSeconds(int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)), int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
}

TimeSpan duration = TimeSpan.FromSeconds(args.Length > 1 && int.TryParse(args[1], out int seconds) ? seconds : 5);
if (scenario == "client-latency")
{
    if (args.Length < 2 || !double.TryParse(args[1], System.Globalization.CultureInfo.InvariantCulture, out double rate) || rate <= 0)
    {
        Console.Error.WriteLine("usage: client-latency <calls/s> [seconds] [runs]");
        return 2;
    }

    duration = TimeSpan.FromSeconds(args.Length > 2 && int.TryParse(args[2], out seconds) ? seconds : 5);
    int runs = args.Length > 3 && int.TryParse(args[3], out int count) ? count : 3;
    await ClientLatencyScenario.RunAsync(rate, duration, grainCount: 10_000, runs);
    return 0;
}

#if DEBUG
Console.WriteLine("warning: a Debug build; run with -c Release for meaningful figures");
#endif
Console.WriteLine(threadSlices.Result == ThreadSliceResult.Applied
    ? $"thread time slices: {threadSlices.Microseconds} µs ({ThreadSliceDefaults.SliceVariable})"
    : $"thread time slices: the kernel's default ({threadSlices.Result})");

switch (scenario)
{
    case "local-calls":
        await LocalCallsScenario.RunAsync(duration, grainCount: 10_000);
        break;
    case "transport":
        await TransportScenario.RunAsync(duration);
        break;
    case "client-calls":
        await ClientCallsScenario.RunAsync(duration, grainCount: 10_000);
        break;
    case "client-calls-split":
        return await SplitClientCallsScenario.RunAsync(duration);
    case "forwarded-calls":
        await ForwardedCallsScenario.RunAsync(duration, grainCount: 10_000);
        break;
    case "fan-out-calls":
        await FanOutCallsScenario.RunAsync(duration, grainCount: 10_000, widths: [100, 1000]);
        break;
    case "limiter-calls":
        int[] activationCounts = args.Length > 2 && int.TryParse(args[2], out int activations) && activations > 0 ? [activations] : [10_000, 100_000];
        await LimiterCallsScenario.RunAsync(activationCounts, duration);
        break;
    case "activation-memory":
        await ActivationMemoryScenario.RunAsync(count: 100_000);
        break;
    case "cache-memory":
        // The figure depends a little on the count (hash tables grow in steps), so other counts can be checked.
        await CacheMemoryScenario.RunAsync(count: args.Length > 1 && int.TryParse(args[1], out int cacheEntries) && cacheEntries > 0 ? cacheEntries : 100_000);
        break;
    case "storage-sqlite":
        await RunSqliteAsync(duration);
        break;
    case "storage-postgres":
        await RunPostgresAsync(duration);
        break;
    case "all":
        await LocalCallsScenario.RunAsync(duration, grainCount: 10_000);
        await LimiterCallsScenario.RunAsync([10_000, 100_000], duration);
        await TransportScenario.RunAsync(duration);
        await ClientCallsScenario.RunAsync(duration, grainCount: 10_000);
        await SplitClientCallsScenario.RunAsync(duration);
        await ForwardedCallsScenario.RunAsync(duration, grainCount: 10_000);
        await FanOutCallsScenario.RunAsync(duration, grainCount: 10_000, widths: [100, 1000]);
        await ActivationMemoryScenario.RunAsync(count: 100_000);
        await CacheMemoryScenario.RunAsync(count: 100_000);
        await RunSqliteAsync(duration);
        await RunPostgresAsync(duration);
        break;
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}'; use local-calls, limiter-calls, transport, client-calls, client-calls-split, forwarded-calls, fan-out-calls, activation-memory, cache-memory, storage-sqlite, storage-postgres or all");
        return 2;
}

return 0;

static async Task RunSqliteAsync(TimeSpan duration)
{
    string folder = Directory.CreateTempSubdirectory("pulse-bench-").FullName;
    try
    {
        await StorageWriteScenario.RunAsync(
            "sqlite", silo => silo.AddSqliteGrainStorage("Default", options => options.DataSource = Path.Combine(folder, "bench.db")), duration, writers: 64);
    }
    finally
    {
        Directory.Delete(folder, recursive: true);
    }
}

static async Task RunPostgresAsync(TimeSpan duration)
{
    await using PostgresTestServer server = await PostgresTestServer.StartAsync();
    string connectionString = await server.CreateDatabaseAsync("bench");
    await StorageWriteScenario.RunAsync(
        "postgres", silo => silo.AddPostgresGrainStorage("Default", options => options.ConnectionString = connectionString), duration, writers: 64);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Pulse.Bench.BareKestrel;

// Usage: dotnet Pulse.Bench.BareKestrel.dll [url]   (default http://127.0.0.1:5090)
// Serves POST /api/v1/ratelimit/check and /check-batch with Pulse's request and response shapes,
// and GET /health/ready, so tests/Bench/http/ratelimit.sh can drive it with the same wrk scripts.
// The same thread time slices as the Pulse hosts (see ThreadSliceDefaults): only Pulse's own work differs.
Pulse.Runtime.Hosting.ThreadSliceDefaults.PreferShortSlices();
string url = args.Length > 0 ? args[0] : "http://127.0.0.1:5090";

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls(url);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, BareJsonContext.Default));

WebApplication app = builder.Build();
app.MapGet("/health/ready", () => "ready");
app.MapPost("/api/v1/ratelimit/check", (CheckRequest check) => Decide(check));
app.MapPost("/api/v1/ratelimit/check-batch", (BatchRequest batch) =>
{
    // A plain loop, as a hot path would have it: one decision per check, in order.
    List<CheckRequest> checks = batch.Checks ?? [];
    var results = new Decision[checks.Count];
    for (int i = 0; i < results.Length; i++)
    {
        results[i] = Decide(checks[i]);
    }

    return new BatchResponse(results);
});

Console.WriteLine($"bare Kestrel listening on {url}");
app.Run();

// Constant-shaped: what a first check on a fresh GCRA key answers, without keeping any state.
static Decision Decide(CheckRequest check)
{
    long limit = check.Limit > 0 ? check.Limit : 1;
    long interval = check.WindowMs / limit;
    return new Decision(Allowed: true, Limit: limit, Remaining: limit - 1, ResetAfterMs: interval, RetryAfterMs: 0);
}

namespace Pulse.Bench.BareKestrel
{
    /// <summary>The body of one check, as the Pulse gateway takes it.</summary>
    internal sealed record CheckRequest(string Key, long Limit, long WindowMs, string? Algorithm = null, long Burst = 0, long Cost = 1);

    /// <summary>The body of a batch of checks.</summary>
    internal sealed record BatchRequest(List<CheckRequest>? Checks);

    /// <summary>The answer to one check, as the Pulse gateway gives it.</summary>
    internal readonly record struct Decision(bool Allowed, long Limit, long Remaining, long ResetAfterMs, long RetryAfterMs);

    /// <summary>The answers to a batch, in the order of its checks.</summary>
    internal sealed record BatchResponse(Decision[] Results);

    [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
    [JsonSerializable(typeof(CheckRequest))]
    [JsonSerializable(typeof(BatchRequest))]
    [JsonSerializable(typeof(Decision))]
    [JsonSerializable(typeof(BatchResponse))]
    internal sealed partial class BareJsonContext : JsonSerializerContext;
}

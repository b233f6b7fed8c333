using System.Net;
using System.Text.Json;

namespace Pulse.Gateway.Tests.RateLimiting;

/// <summary>One gateway over one silo whose grains run on a clock the tests move; each test uses its own tenant.</summary>
public sealed class RateLimitClockGatewayFixture : IAsyncLifetime
{
    public SteppingTimeProvider Clock { get; } = new();

    public RateLimitGateway Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await RateLimitGateway.StartSingleSiloAsync(Clock);

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>The rate-limit API where the outcome depends on when the grains decide: window boundaries, penalty blocks.</summary>
public sealed class RateLimitClockTests(RateLimitClockGatewayFixture fixture) : IClassFixture<RateLimitClockGatewayFixture>
{
    private RateLimitGateway Gateway => fixture.Gateway;

    private SteppingTimeProvider Clock => fixture.Clock;

    [Fact]
    public async Task ARefusedAllOrNothingBatchLeavesSlidingWindowsUntouchedWhenItSpansAWindowBoundary()
    {
        using HttpClient client = await TenantClientAsync();
        Assert.True((await DecisionAsync(client, """{"key":"full","limit":1,"windowMs":60000,"algorithm":"sliding_window"}""")).GetProperty("allowed").GetBoolean());
        string[] keys = ["s0", "s1", "s2", "s3", "s4"];
        foreach (string key in keys)
        {
            Assert.Equal(10, (await DecisionAsync(client, Sliding(key, cost: 0))).GetProperty("remaining").GetInt64());
        }

        // A few ms before a minute boundary, and every reading of the grains' clock moves it 1 ms: the batch's
        // first grain calls decide in one window, the later ones in the next (how many come first depends on
        // whether the tenant quota asks its grain). Capacity taken in the first window and given back in the
        // second would stay in the sliding window's previous count.
        long nowMs = Clock.GetUtcNow().ToUnixTimeMilliseconds();
        Clock.Advance(TimeSpan.FromMilliseconds(60_000 - (nowMs % 60_000) - 3));
        Clock.Step = TimeSpan.FromMilliseconds(1);
        JsonElement answer;
        try
        {
            string checks = string.Join(",", keys.Select(key => Sliding(key, cost: 3)));
            using HttpResponseMessage batch = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""
                {"allOrNothing":true,"checks":[{{checks}},{"key":"full","limit":1,"windowMs":60000,"algorithm":"sliding_window"}]}
                """));
            Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
            answer = await Api.ReadJsonAsync(batch);
        }
        finally
        {
            Clock.Step = TimeSpan.Zero;
        }

        Assert.False(answer.GetProperty("allowed").GetBoolean());
        JsonElement[] results = [.. answer.GetProperty("results").EnumerateArray()];
        Assert.All(results, r => Assert.False(r.GetProperty("allowed").GetBoolean()));
        Assert.All(results[..keys.Length], r => Assert.Equal(10, r.GetProperty("remaining").GetInt64()));
        foreach (string key in keys)
        {
            Assert.Equal(10, (await DecisionAsync(client, Sliding(key, cost: 0))).GetProperty("remaining").GetInt64());
        }
    }

    private static string Sliding(string key, int cost) =>
        $$"""{"key":"{{key}}","limit":10,"windowMs":60000,"algorithm":"sliding_window","cost":{{cost}}}""";

    [Fact]
    public async Task ARepeatOffenderIsBlockedAgainForTwiceAsLong()
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage put = await client.PutAsync("/api/v1/ratelimit/policies/strict", Api.Json("""
            {"algorithm":"fixed_window","limit":1,"windowMs":31536000000,"penalty":{"rejections":2,"withinMs":60000,"blockMs":10000,"maxBlockMs":600000}}
            """));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        const string check = """{"key":"abuser","policy":"strict"}""";

        Assert.True((await DecisionAsync(client, check)).GetProperty("allowed").GetBoolean());
        await AssertRefusedByTheLimitAsync(client, check);
        await AssertRefusedByTheLimitAsync(client, check);
        await AssertBlockedForAsync(client, check, 10_000);

        // Still over the limit once the block ends: two more refusals within withinMs earn the next block, doubled.
        Clock.Advance(TimeSpan.FromMilliseconds(10_000));
        await AssertRefusedByTheLimitAsync(client, check);
        await AssertRefusedByTheLimitAsync(client, check);
        await AssertBlockedForAsync(client, check, 20_000);

        Clock.Advance(TimeSpan.FromMilliseconds(20_000));
        await AssertRefusedByTheLimitAsync(client, check);
        await AssertRefusedByTheLimitAsync(client, check);
        await AssertBlockedForAsync(client, check, 40_000);
    }

    private static async Task AssertRefusedByTheLimitAsync(HttpClient client, string body)
    {
        JsonElement refused = await DecisionAsync(client, body);
        Assert.False(refused.GetProperty("allowed").GetBoolean());
        Assert.False(refused.TryGetProperty("blocked", out JsonElement blocked) && blocked.ValueKind == JsonValueKind.String, $"blocked too early: {refused}");
    }

    private static async Task AssertBlockedForAsync(HttpClient client, string body, long blockMs)
    {
        JsonElement blocked = await DecisionAsync(client, body);
        Assert.False(blocked.GetProperty("allowed").GetBoolean());
        Assert.Equal("penalty", blocked.GetProperty("blocked").GetString());
        Assert.Equal(blockMs, blocked.GetProperty("retryAfterMs").GetInt64());
    }

    private async Task<HttpClient> TenantClientAsync()
    {
        (_, string apiKey) = await Gateway.CreateTenantAsync();
        return Gateway.CreateClient(apiKey);
    }

    private static async Task<JsonElement> DecisionAsync(HttpClient client, string body)
    {
        using HttpResponseMessage response = await client.PostAsync("/api/v1/ratelimit/check", Api.Json(body));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Api.ReadJsonAsync(response);
    }
}

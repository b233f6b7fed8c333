using System.Net;
using System.Text.Json;
using Pulse.Runtime.Testing;

namespace Pulse.Gateway.Tests.RateLimiting;

/// <summary>One gateway and silo shared by the rate-limit API tests; each test uses its own tenant.</summary>
public sealed class RateLimitGatewayFixture : IAsyncLifetime
{
    public RateLimitGateway Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await RateLimitGateway.StartSingleSiloAsync();

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>The <c>/api/v1/ratelimit</c> routes through real Kestrel, the real tenant quota and real grains.</summary>
public sealed class RateLimitApiTests(RateLimitGatewayFixture fixture) : IClassFixture<RateLimitGatewayFixture>
{
    private RateLimitGateway Gateway => fixture.Gateway;

    [Fact]
    public async Task ACheckAnswersTheDecisionWithRateLimitFields()
    {
        using HttpClient client = await TenantClientAsync();
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage admitted = await CheckAsync(client, """{"key":"user:1","limit":3,"windowMs":60000}""");
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
            JsonElement decision = await Api.ReadJsonAsync(admitted);
            Assert.True(decision.GetProperty("allowed").GetBoolean());
            Assert.Equal(3, decision.GetProperty("limit").GetInt64());
            Assert.Equal(2 - i, decision.GetProperty("remaining").GetInt64());
            Assert.Equal("\"adhoc\";q=3;w=60", Header(admitted, "RateLimit-Policy"));
            Assert.Equal($"\"adhoc\";r={2 - i};t=", Header(admitted, "RateLimit")[..(13 + (2 - i).ToString().Length)]);
            Assert.Equal("3", Header(admitted, "X-RateLimit-Limit"));
            Assert.Equal((2 - i).ToString(), Header(admitted, "X-RateLimit-Remaining"));
            Assert.False(admitted.Headers.Contains("Retry-After"));
        }

        using HttpResponseMessage refused = await CheckAsync(client, """{"key":"user:1","limit":3,"windowMs":60000}""");
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        JsonElement refusal = await Api.ReadJsonAsync(refused);
        Assert.False(refusal.GetProperty("allowed").GetBoolean());
        Assert.Equal(0, refusal.GetProperty("remaining").GetInt64());
        long retryAfterMs = refusal.GetProperty("retryAfterMs").GetInt64();
        Assert.InRange(retryAfterMs, 1, 20_000);
        Assert.Equal(((retryAfterMs + 999) / 1000).ToString(), Header(refused, "Retry-After"));
        long reset = long.Parse(Header(refused, "X-RateLimit-Reset"));
        Assert.InRange(reset, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 61);
    }

    [Theory]
    [InlineData("token_bucket")]
    [InlineData("leaky_bucket")]
    [InlineData("sliding_window")]
    [InlineData("fixed_window")]
    [InlineData("gcra")]
    public async Task EveryAlgorithmAdmitsItsLimitThenRefuses(string algorithm)
    {
        using HttpClient client = await TenantClientAsync();
        string body = $$"""{"key":"k","limit":5,"windowMs":3600000,"algorithm":"{{algorithm}}"}""";
        for (int i = 0; i < 5; i++)
        {
            Assert.True((await DecisionAsync(client, body)).GetProperty("allowed").GetBoolean());
        }

        Assert.False((await DecisionAsync(client, body)).GetProperty("allowed").GetBoolean());
    }

    [Fact]
    public async Task CostZeroPeeksNegativeCostRefundsAndShadowModeAllows()
    {
        using HttpClient client = await TenantClientAsync();
        Assert.Equal(6, (await DecisionAsync(client, """{"key":"c","limit":10,"windowMs":3600000,"cost":4}""")).GetProperty("remaining").GetInt64());
        Assert.Equal(6, (await DecisionAsync(client, """{"key":"c","limit":10,"windowMs":3600000,"cost":0}""")).GetProperty("remaining").GetInt64());
        Assert.Equal(9, (await DecisionAsync(client, """{"key":"c","limit":10,"windowMs":3600000,"cost":-3}""")).GetProperty("remaining").GetInt64());

        Assert.True((await DecisionAsync(client, """{"key":"s","limit":1,"windowMs":3600000,"mode":"shadow"}""")).GetProperty("allowed").GetBoolean());
        JsonElement shadow = await DecisionAsync(client, """{"key":"s","limit":1,"windowMs":3600000,"mode":"shadow"}""");
        Assert.True(shadow.GetProperty("allowed").GetBoolean());
        Assert.True(shadow.GetProperty("shadowRejected").GetBoolean());
    }

    [Theory]
    [InlineData("""{"limit":10,"windowMs":1000}""", "key")]
    [InlineData("""{"key":"","limit":10,"windowMs":1000}""", "key")]
    [InlineData("""{"key":"k","limit":0,"windowMs":1000}""", "limit")]
    [InlineData("""{"key":"k","limit":-5,"windowMs":1000}""", "limit")]
    [InlineData("""{"key":"k","windowMs":1000}""", "limit")]
    [InlineData("""{"key":"k","limit":10,"windowMs":0}""", "windowMs")]
    [InlineData("""{"key":"k","limit":10}""", "windowMs")]
    [InlineData("""{"key":"k","limit":10,"windowMs":31536000001}""", "windowMs")]
    [InlineData("""{"key":"k","limit":10,"windowMs":1000,"algorithm":"magic"}""", "algorithm")]
    [InlineData("""{"key":"k","limit":10,"windowMs":1000,"algorithm":"GCRA"}""", "algorithm")]
    [InlineData("""{"key":"k","limit":10,"windowMs":1000,"burst":5,"cost":6}""", "cost")]
    [InlineData("""{"key":"k","limit":10,"windowMs":1000,"cost":11}""", "cost")]
    [InlineData("""{"key":"k","limit":10,"windowMs":1000,"mode":"dry"}""", "mode")]
    [InlineData("""{"key":"k","limit":"ten","windowMs":1000}""", "limit")]
    [InlineData("""{"key":"k","policy":"p","limit":10}""", "policy")]
    public async Task BadChecksAreRefusedNamingTheField(string body, string field)
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage response = await CheckAsync(client, body);
        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task KeysAreLimitedTo512BytesOfUtf8()
    {
        using HttpClient client = await TenantClientAsync();
        string fits = new string('€', 170) + "ab";      // 512 bytes
        string tooLong = new string('€', 171);          // 513 bytes, only 171 characters
        Assert.True((await DecisionAsync(client, $$"""{"key":"{{fits}}","limit":1,"windowMs":1000}""")).GetProperty("allowed").GetBoolean());
        using HttpResponseMessage response = await CheckAsync(client, $$"""{"key":"{{tooLong}}","limit":1,"windowMs":1000}""");
        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, "key");
    }

    [Fact]
    public async Task AnUnknownPolicyIs404()
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage response = await CheckAsync(client, """{"key":"k","policy":"nope"}""");
        await Api.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ABatchIsAnsweredInOrderAndAllOrNothingConsumesNothingWhenOneFails()
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage batch = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json("""
            {"checks":[
              {"key":"a","limit":2,"windowMs":3600000},
              {"key":"b","limit":1,"windowMs":3600000},
              {"key":"a","limit":2,"windowMs":3600000},
              {"key":"a","limit":2,"windowMs":3600000}]}
            """));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        JsonElement answer = await Api.ReadJsonAsync(batch);
        Assert.False(answer.GetProperty("allowed").GetBoolean());
        Assert.Equal([true, true, true, false], answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("allowed").GetBoolean()));

        // "c" has room, "b" is used up: nothing of "c" may be consumed.
        using HttpResponseMessage atomic = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json("""
            {"allOrNothing":true,"checks":[
              {"key":"c","limit":5,"windowMs":3600000,"cost":3},
              {"key":"b","limit":1,"windowMs":3600000}]}
            """));
        JsonElement refused = await Api.ReadJsonAsync(atomic);
        Assert.False(refused.GetProperty("allowed").GetBoolean());
        Assert.All(refused.GetProperty("results").EnumerateArray(), r => Assert.False(r.GetProperty("allowed").GetBoolean()));
        Assert.Equal(5, (await DecisionAsync(client, """{"key":"c","limit":5,"windowMs":3600000,"cost":0}""")).GetProperty("remaining").GetInt64());
    }

    [Fact]
    public async Task ARefusedAllOrNothingBatchTouchesNoOtherKeyAndCountsOnlyTheFailingCheckAsRejected()
    {
        using HttpClient client = await TenantClientAsync();
        Assert.True((await DecisionAsync(client, """{"key":"full","limit":1,"windowMs":3600000}""")).GetProperty("allowed").GetBoolean());
        Assert.True((await DecisionAsync(client, """{"key":"g","limit":5,"windowMs":3600000}""")).GetProperty("allowed").GetBoolean());

        // Every algorithm, a key checked twice (one grain call for both), a peek, a refund and a shadow check
        // over its limit beside the one check that fails.
        string[] innocents =
        [
            """{"key":"g","limit":5,"windowMs":3600000,"cost":2}""",
            """{"key":"t","limit":5,"windowMs":3600000,"algorithm":"token_bucket","cost":3}""",
            """{"key":"l","limit":5,"windowMs":3600000,"algorithm":"leaky_bucket"}""",
            """{"key":"s","limit":5,"windowMs":3600000,"algorithm":"sliding_window","cost":2}""",
            """{"key":"s","limit":5,"windowMs":3600000,"algorithm":"sliding_window","cost":2}""",
            """{"key":"f","limit":5,"windowMs":3600000,"algorithm":"fixed_window","cost":0}""",
            """{"key":"g","limit":5,"windowMs":3600000,"cost":-1}""",
        ];
        using HttpResponseMessage batch = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""
            {"allOrNothing":true,"checks":[{{string.Join(",", innocents)}},
              {"key":"full","limit":1,"windowMs":3600000},
              {"key":"full","limit":1,"windowMs":3600000,"mode":"shadow"}]}
            """));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        JsonElement answer = await Api.ReadJsonAsync(batch);
        Assert.False(answer.GetProperty("allowed").GetBoolean());
        JsonElement[] results = [.. answer.GetProperty("results").EnumerateArray()];
        Assert.Equal(
            [(false, 4L), (false, 5L), (false, 5L), (false, 5L), (false, 5L), (false, 5L), (false, 4L), (false, 0L), (true, 0L)],
            results.Select(r => (r.GetProperty("allowed").GetBoolean(), r.GetProperty("remaining").GetInt64())));
        Assert.Equal(0, results[0].GetProperty("retryAfterMs").GetInt64());
        Assert.True(results[7].GetProperty("retryAfterMs").GetInt64() > 0);
        Assert.True(results[8].GetProperty("shadowRejected").GetBoolean());

        // The checks that failed are counted; those within their limits are not, nor listed as limited.
        JsonElement stats = await Api.ReadJsonAsync(await client.GetAsync("/api/v1/ratelimit/stats"));
        Assert.Equal((4L, 3L, 1L, 1L), (stats.GetProperty("checks").GetInt64(), stats.GetProperty("allowed").GetInt64(), stats.GetProperty("rejected").GetInt64(), stats.GetProperty("shadowRejected").GetInt64()));
        JsonElement limited = Assert.Single(stats.GetProperty("topLimitedKeys").EnumerateArray());
        Assert.Equal(("full", 1L), (limited.GetProperty("key").GetString(), limited.GetProperty("rejected").GetInt64()));

        Assert.Equal(4, (await DecisionAsync(client, """{"key":"g","limit":5,"windowMs":3600000,"cost":0}""")).GetProperty("remaining").GetInt64());
        Assert.Equal(5, (await DecisionAsync(client, """{"key":"t","limit":5,"windowMs":3600000,"algorithm":"token_bucket","cost":0}""")).GetProperty("remaining").GetInt64());
        Assert.Equal(5, (await DecisionAsync(client, """{"key":"l","limit":5,"windowMs":3600000,"algorithm":"leaky_bucket","cost":0}""")).GetProperty("remaining").GetInt64());
        Assert.Equal(5, (await DecisionAsync(client, """{"key":"s","limit":5,"windowMs":3600000,"algorithm":"sliding_window","cost":0}""")).GetProperty("remaining").GetInt64());
    }

    [Fact]
    public async Task AnAllOrNothingBatchThatPassesConsumesEachCheckOnce()
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage batch = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json("""
            {"allOrNothing":true,"checks":[
              {"key":"a","limit":5,"windowMs":3600000,"cost":2},
              {"key":"b","limit":5,"windowMs":3600000,"algorithm":"fixed_window"},
              {"key":"a","limit":5,"windowMs":3600000,"cost":3}]}
            """));
        JsonElement answer = await Api.ReadJsonAsync(batch);
        Assert.True(answer.GetProperty("allowed").GetBoolean());
        Assert.Equal([3L, 4L, 0L], answer.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("remaining").GetInt64()));
        Assert.Equal(0, (await DecisionAsync(client, """{"key":"a","limit":5,"windowMs":3600000,"cost":0}""")).GetProperty("remaining").GetInt64());
        Assert.Equal(4, (await DecisionAsync(client, """{"key":"b","limit":5,"windowMs":3600000,"algorithm":"fixed_window","cost":0}""")).GetProperty("remaining").GetInt64());
    }

    [Fact]
    public async Task ABlockedKeySinksAnAllOrNothingBatchAndAPeekEarnsNoPenalty()
    {
        using HttpClient client = await TenantClientAsync();
        await client.PutAsync("/api/v1/ratelimit/policies/touchy", Api.Json("""{"limit":5,"windowMs":3600000,"penalty":{"rejections":1,"withinMs":60000,"blockMs":60000}}"""));
        await client.PostAsync("/api/v1/ratelimit/blocks", Api.Json("""{"key":"banned","durationMs":600000}"""));

        using HttpResponseMessage batch = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json("""
            {"allOrNothing":true,"checks":[{"key":"nice","policy":"touchy","cost":5},{"key":"banned","limit":5,"windowMs":3600000}]}
            """));
        JsonElement[] results = [.. (await Api.ReadJsonAsync(batch)).GetProperty("results").EnumerateArray()];
        Assert.False(results[0].GetProperty("allowed").GetBoolean());
        Assert.Equal(JsonValueKind.String, results[1].GetProperty("blocked").ValueKind);

        // "nice" was within its limit: it has all of it, and no refusal counted towards its penalty.
        JsonElement nice = await DecisionAsync(client, """{"key":"nice","policy":"touchy","cost":5}""");
        Assert.True(nice.GetProperty("allowed").GetBoolean());
        JsonElement stats = await Api.ReadJsonAsync(await client.GetAsync("/api/v1/ratelimit/stats"));
        Assert.Equal((2L, 1L, 1L), (stats.GetProperty("checks").GetInt64(), stats.GetProperty("rejected").GetInt64(), stats.GetProperty("blocked").GetInt64()));
    }

    [Fact]
    public async Task ConsecutiveSingleChecksEachGetTheirOwnLimitCostModeAndPolicy()
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage put = await client.PutAsync("/api/v1/ratelimit/policies/three", Api.Json("""{"limit":3,"windowMs":3600000}"""));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        // Each request repeats the one before or changes one thing; the same thread may serve them all.
        (string Body, long Limit, long Remaining)[] steps =
        [
            ("""{"key":"a","limit":5,"windowMs":3600000}""", 5, 4),
            ("""{"key":"a","limit":5,"windowMs":3600000}""", 5, 3),
            ("""{"key":"a","limit":5,"windowMs":3600000,"cost":2}""", 5, 1),
            ("""{"key":"b","limit":9,"windowMs":3600000}""", 9, 8),
            ("""{"key":"b","limit":9,"windowMs":3600000,"burst":4}""", 9, 2),
            ("""{"key":"c","policy":"three"}""", 3, 2),
            ("""{"key":"c","limit":3,"windowMs":3600000}""", 3, 2),
            ("""{"key":"c","policy":"three"}""", 3, 1),
        ];
        foreach ((string body, long limit, long remaining) in steps)
        {
            JsonElement decision = await DecisionAsync(client, body);
            Assert.Equal((limit, remaining), (decision.GetProperty("limit").GetInt64(), decision.GetProperty("remaining").GetInt64()));
        }

        // A replaced policy applies from the next check on.
        using HttpResponseMessage replaced = await client.PutAsync("/api/v1/ratelimit/policies/three", Api.Json("""{"limit":10,"windowMs":3600000}"""));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(10, (await DecisionAsync(client, """{"key":"d","policy":"three"}""")).GetProperty("limit").GetInt64());
    }

    [Fact]
    public async Task EachCheckOfABatchGetsItsOwnLimitCostModeAndPolicyWhenNeighboursDiffer()
    {
        using HttpClient client = await TenantClientAsync();
        foreach (string name in new[] { "seven", "sevenToo" })
        {
            using HttpResponseMessage put = await client.PutAsync($"/api/v1/ratelimit/policies/{name}", Api.Json("""{"limit":7,"windowMs":3600000}"""));
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // Neighbours repeat a limit or change exactly one thing about it.
        using HttpResponseMessage batch = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json("""
            {"checks":[
              {"key":"a","limit":5,"windowMs":3600000},
              {"key":"b","limit":5,"windowMs":3600000},
              {"key":"c","limit":5,"windowMs":3600000,"cost":2},
              {"key":"d","limit":7,"windowMs":3600000},
              {"key":"e","limit":7,"windowMs":3600000,"algorithm":"fixed_window"},
              {"key":"f","limit":7,"windowMs":3600000,"burst":3},
              {"key":"g","limit":7,"windowMs":1000},
              {"key":"s","limit":1,"windowMs":3600000},
              {"key":"s","limit":1,"windowMs":3600000,"mode":"shadow"},
              {"key":"p","policy":"seven"},
              {"key":"q","policy":"seven"},
              {"key":"q","policy":"sevenToo"}]}
            """));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        JsonElement[] results = [.. (await Api.ReadJsonAsync(batch)).GetProperty("results").EnumerateArray()];
        Assert.Equal(
            [(5L, 4L), (5L, 4L), (5L, 3L), (7L, 6L), (7L, 6L), (7L, 2L), (7L, 6L), (1L, 0L), (1L, 0L), (7L, 6L), (7L, 6L), (7L, 6L)],
            results.Select(r => (r.GetProperty("limit").GetInt64(), r.GetProperty("remaining").GetInt64())));
        Assert.InRange(results[6].GetProperty("resetAfterMs").GetInt64(), 1, 1000);
        Assert.True(results[8].GetProperty("allowed").GetBoolean());
        Assert.True(results[8].GetProperty("shadowRejected").GetBoolean());

        // Each went to its own window: the fixed window of "e" and the two policies of "q" are separate counts.
        Assert.Equal(7, (await DecisionAsync(client, """{"key":"e","limit":7,"windowMs":3600000,"cost":0}""")).GetProperty("remaining").GetInt64());
        Assert.Equal(6, (await DecisionAsync(client, """{"key":"e","limit":7,"windowMs":3600000,"algorithm":"fixed_window","cost":0}""")).GetProperty("remaining").GetInt64());
        Assert.Equal(6, (await DecisionAsync(client, """{"key":"q","policy":"sevenToo","cost":0}""")).GetProperty("remaining").GetInt64());
        Assert.Equal(7, (await DecisionAsync(client, """{"key":"p","policy":"sevenToo","cost":0}""")).GetProperty("remaining").GetInt64());
    }

    [Theory]
    [InlineData("""{"checks":[]}""", "checks")]
    [InlineData("""{}""", "checks")]
    [InlineData("""{"checks":[{"key":"a","limit":1,"windowMs":1000},{"key":"b","limit":0,"windowMs":1000}]}""", "checks[1].limit")]
    public async Task BadBatchesAreRefusedNamingTheField(string body, string field)
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage response = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json(body));
        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task ABatchOfMoreThan1000ChecksIsRefused()
    {
        using HttpClient client = await TenantClientAsync();
        string checks = string.Join(",", Enumerable.Range(0, 1001).Select(i => $$"""{"key":"k{{i}}","limit":1,"windowMs":1000}"""));
        using HttpResponseMessage tooMany = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""{"checks":[{{checks}}]}"""));

        // About 45 KB, far under the body limit: refused for its count, naming the field.
        await Api.AssertProblemAsync(tooMany, HttpStatusCode.BadRequest, "checks");

        string thousand = string.Join(",", Enumerable.Range(0, 1000).Select(i => $$"""{"key":"k{{i}}","limit":1,"windowMs":1000}"""));
        using HttpResponseMessage full = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""{"checks":[{{thousand}}]}"""));
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(1000, (await Api.ReadJsonAsync(full)).GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task PoliciesAreCreatedReplacedListedUsedAndDeleted()
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage created = await client.PutAsync("/api/v1/ratelimit/policies/login", Api.Json("""{"algorithm":"fixed_window","limit":2,"windowMs":3600000}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.EndsWith("/api/v1/ratelimit/policies/login", created.Headers.Location!.ToString());
        using HttpResponseMessage replaced = await client.PutAsync("/api/v1/ratelimit/policies/login", Api.Json("""{"algorithm":"fixed_window","limit":1,"windowMs":3600000}"""));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage other = await client.PutAsync($"/api/v1/ratelimit/policies/p{i}", Api.Json("""{"limit":5,"windowMs":1000}"""));
            Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        }

        JsonElement policy = await Api.ReadJsonAsync(await client.GetAsync("/api/v1/ratelimit/policies/login"));
        Assert.Equal(("fixed_window", 1L, 3_600_000L, "enforce"), (policy.GetProperty("algorithm").GetString(), policy.GetProperty("limit").GetInt64(), policy.GetProperty("windowMs").GetInt64(), policy.GetProperty("mode").GetString()));

        JsonElement first = await Api.ReadJsonAsync(await client.GetAsync("/api/v1/ratelimit/policies?limit=3"));
        Assert.Equal(["login", "p0", "p1"], first.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        string cursor = first.GetProperty("nextCursor").GetString()!;
        JsonElement second = await Api.ReadJsonAsync(await client.GetAsync($"/api/v1/ratelimit/policies?limit=3&cursor={cursor}"));
        Assert.Equal(["p2"], second.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);

        Assert.True((await DecisionAsync(client, """{"key":"u","policy":"login"}""")).GetProperty("allowed").GetBoolean());
        using HttpResponseMessage refused = await CheckAsync(client, """{"key":"u","policy":"login"}""");
        Assert.False((await Api.ReadJsonAsync(refused)).GetProperty("allowed").GetBoolean());
        Assert.Equal("\"login\";q=1;w=3600", Header(refused, "RateLimit-Policy"));

        using HttpResponseMessage deleted = await client.DeleteAsync("/api/v1/ratelimit/policies/login");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await Api.AssertProblemAsync(await client.DeleteAsync("/api/v1/ratelimit/policies/login"), HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(await client.GetAsync("/api/v1/ratelimit/policies/login"), HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(await CheckAsync(client, """{"key":"u","policy":"login"}"""), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task APolicyInShadowModeAllowsBeyondItsLimitAndCountsTheShadowRejections()
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage put = await client.PutAsync("/api/v1/ratelimit/policies/trial", Api.Json("""{"limit":2,"windowMs":3600000,"mode":"shadow"}"""));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        JsonElement[] decisions = new JsonElement[4];
        for (int i = 0; i < decisions.Length; i++)
        {
            decisions[i] = await DecisionAsync(client, """{"key":"u","policy":"trial"}""");
        }

        Assert.All(decisions, d => Assert.True(d.GetProperty("allowed").GetBoolean()));
        Assert.Equal([false, false, true, true], decisions.Select(d => d.TryGetProperty("shadowRejected", out JsonElement s) && s.GetBoolean()));
        JsonElement stats = await Api.ReadJsonAsync(await client.GetAsync("/api/v1/ratelimit/stats"));
        Assert.Equal((4L, 4L, 0L, 2L), (stats.GetProperty("checks").GetInt64(), stats.GetProperty("allowed").GetInt64(), stats.GetProperty("rejected").GetInt64(), stats.GetProperty("shadowRejected").GetInt64()));
        Assert.Empty(stats.GetProperty("topLimitedKeys").EnumerateArray());
    }

    [Fact]
    public async Task ABurstThatTakesOver100YearsToRefillIsRefusedAndTheLongestAllowedGivesSaneFields()
    {
        using HttpClient client = await TenantClientAsync();

        // One unit a year with a burst of 10^12: 10^12 years to refill, far past what a key's state can hold.
        await Api.AssertProblemAsync(
            await CheckAsync(client, """{"key":"huge","limit":1,"windowMs":31536000000,"burst":1000000000000,"cost":1000000000000}"""),
            HttpStatusCode.BadRequest,
            "burst");

        // The longest allowed, taken whole: 100 years (3,153,600,000 s) until full again, then refused for as long.
        const string body = """{"key":"century","limit":1,"windowMs":31536000000,"burst":100,"cost":100}""";
        const long century = 100 * 31_536_000_000;
        using HttpResponseMessage admitted = await CheckAsync(client, body);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        JsonElement decision = await Api.ReadJsonAsync(admitted);
        Assert.True(decision.GetProperty("allowed").GetBoolean());
        Assert.Equal(0, decision.GetProperty("remaining").GetInt64());
        Assert.InRange(decision.GetProperty("resetAfterMs").GetInt64(), century - 1000, century);
        Assert.Equal("\"adhoc\";r=0;t=3153600000", Header(admitted, "RateLimit"));

        using HttpResponseMessage refused = await CheckAsync(client, body);
        JsonElement refusal = await Api.ReadJsonAsync(refused);
        Assert.False(refusal.GetProperty("allowed").GetBoolean());
        Assert.Equal(0, refusal.GetProperty("remaining").GetInt64());
        Assert.InRange(refusal.GetProperty("retryAfterMs").GetInt64(), century - 1000, century);
        Assert.InRange(long.Parse(Header(refused, "Retry-After"), System.Globalization.CultureInfo.InvariantCulture), 3_153_599_999, 3_153_600_000);
    }

    [Fact]
    public async Task ALeakyBucketTellsEachAdmittedRequestHowLongToWaitAndATokenBucketDoesNot()
    {
        using HttpClient client = await TenantClientAsync();

        // One request an hour leaks out; three arrive at once: the second waits about an hour, the third two.
        const string leaky = """{"key":"queue","limit":1,"windowMs":3600000,"algorithm":"leaky_bucket","burst":3}""";
        long[] delays = new long[3];
        for (int i = 0; i < 3; i++)
        {
            JsonElement decision = await DecisionAsync(client, leaky);
            Assert.True(decision.GetProperty("allowed").GetBoolean());
            delays[i] = decision.TryGetProperty("delayMs", out JsonElement delay) ? delay.GetInt64() : 0;
        }

        Assert.Equal(0, delays[0]);
        Assert.InRange(delays[1], 3_590_000, 3_600_000);
        Assert.InRange(delays[2], 7_190_000, 7_200_000);
        JsonElement full = await DecisionAsync(client, leaky);
        Assert.False(full.GetProperty("allowed").GetBoolean());
        Assert.False(full.TryGetProperty("delayMs", out _));

        // The same burst through a token bucket, and in a batch: admitted at once, no delay on the wire.
        using HttpResponseMessage batch = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json("""
            {"checks":[
              {"key":"tokens","limit":1,"windowMs":3600000,"algorithm":"token_bucket","burst":3},
              {"key":"tokens","limit":1,"windowMs":3600000,"algorithm":"token_bucket","burst":3},
              {"key":"batch-queue","limit":1,"windowMs":3600000,"algorithm":"leaky_bucket","burst":3},
              {"key":"batch-queue","limit":1,"windowMs":3600000,"algorithm":"leaky_bucket","burst":3}]}
            """));
        JsonElement[] results = (await Api.ReadJsonAsync(batch)).GetProperty("results").EnumerateArray().ToArray();
        Assert.All(results, result => Assert.True(result.GetProperty("allowed").GetBoolean()));
        Assert.Equal([false, false, false, true], results.Select(result => result.TryGetProperty("delayMs", out _)));
        Assert.InRange(results[3].GetProperty("delayMs").GetInt64(), 3_590_000, 3_600_000);
    }

    [Theory]
    [InlineData("""{"limit":5,"windowMs":1000,"calendar":"fortnight"}""", "calendar")]
    [InlineData("""{"limit":5,"algorithm":"fixed_window","calendar":"day","timeZone":"Mars/Olympus_Mons"}""", "timeZone")]
    [InlineData("""{"limit":5,"algorithm":"gcra","calendar":"day"}""", "calendar")]
    [InlineData("""{"limit":5,"windowMs":1000,"mode":"loud"}""", "mode")]
    [InlineData("""{"windowMs":1000}""", "limit")]
    [InlineData("""{"limit":5,"windowMs":1000,"penalty":{"rejections":0,"withinMs":1000,"blockMs":1000}}""", "penalty.rejections")]
    public async Task BadPoliciesAreRefusedNamingTheField(string body, string field)
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage response = await client.PutAsync("/api/v1/ratelimit/policies/bad", Api.Json(body));
        await Api.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
        await Api.AssertProblemAsync(await client.PutAsync("/api/v1/ratelimit/policies/bad%20name", Api.Json("""{"limit":1,"windowMs":1000}""")), HttpStatusCode.BadRequest, "name");
    }

    [Fact]
    public async Task ACalendarPolicyInATimeZoneResetsAtLocalMidnight()
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage created = await client.PutAsync("/api/v1/ratelimit/policies/daily", Api.Json("""{"algorithm":"fixed_window","limit":2,"calendar":"day","timeZone":"America/New_York"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonElement decision = await DecisionAsync(client, """{"key":"u","policy":"daily"}""");
        TimeZoneInfo zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        DateTime localNow = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, zone).DateTime;
        DateTimeOffset nextMidnight = new DateTimeOffset(localNow.Date.AddDays(1), zone.GetUtcOffset(localNow.Date.AddDays(1)));
        double expectedMs = (nextMidnight - DateTimeOffset.UtcNow).TotalMilliseconds;
        Assert.InRange(decision.GetProperty("resetAfterMs").GetInt64(), expectedMs - 5_000, expectedMs + 5_000);
    }

    [Fact]
    public async Task APolicyPenaltyBlocksAKeyThatKeepsBeingRefused()
    {
        using HttpClient client = await TenantClientAsync();
        await client.PutAsync("/api/v1/ratelimit/policies/strict", Api.Json("""{"algorithm":"fixed_window","limit":1,"windowMs":3600000,"penalty":{"rejections":2,"withinMs":60000,"blockMs":30000}}"""));
        await DecisionAsync(client, """{"key":"abuser","policy":"strict"}""");
        await DecisionAsync(client, """{"key":"abuser","policy":"strict"}""");
        await DecisionAsync(client, """{"key":"abuser","policy":"strict"}""");

        // Blocked for every limit of the key, not only the policy's.
        JsonElement blocked = await DecisionAsync(client, """{"key":"abuser","limit":100,"windowMs":1000}""");
        Assert.False(blocked.GetProperty("allowed").GetBoolean());
        Assert.Equal("penalty", blocked.GetProperty("blocked").GetString());
        Assert.InRange(blocked.GetProperty("retryAfterMs").GetInt64(), 20_000, 30_000);
        await TestSilo.WaitUntilAsync(
            () => Api.ReadJsonAsync(client.GetAsync("/api/v1/ratelimit/blocks").Result).Result.GetProperty("items").GetArrayLength() == 1,
            "the penalty block to be listed");
    }

    [Fact]
    public async Task BlocksAreEnforcedListedAndLifted()
    {
        using HttpClient client = await TenantClientAsync();
        using HttpResponseMessage created = await client.PostAsync("/api/v1/ratelimit/blocks", Api.Json("""{"key":"bot/7","durationMs":600000,"reason":"scraping"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        JsonElement blocked = await DecisionAsync(client, """{"key":"bot/7","limit":100,"windowMs":1000}""");
        Assert.False(blocked.GetProperty("allowed").GetBoolean());
        Assert.Equal("scraping", blocked.GetProperty("blocked").GetString());

        JsonElement list = await Api.ReadJsonAsync(await client.GetAsync("/api/v1/ratelimit/blocks"));
        JsonElement entry = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal(("bot/7", "scraping", false), (entry.GetProperty("key").GetString(), entry.GetProperty("reason").GetString(), entry.GetProperty("penalty").GetBoolean()));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/v1/ratelimit/blocks/bot/7")).StatusCode);
        await Api.AssertProblemAsync(await client.DeleteAsync("/api/v1/ratelimit/blocks/bot/7"), HttpStatusCode.NotFound);
        Assert.True((await DecisionAsync(client, """{"key":"bot/7","limit":100,"windowMs":1000}""")).GetProperty("allowed").GetBoolean());
    }

    [Theory]
    [InlineData("""{"durationMs":1000}""", "key")]
    [InlineData("""{"key":"k"}""", "durationMs")]
    [InlineData("""{"key":"k","durationMs":0}""", "durationMs")]
    [InlineData("""{"key":"k","durationMs":31536000001}""", "durationMs")]
    public async Task BadBlocksAreRefusedNamingTheField(string body, string field)
    {
        using HttpClient client = await TenantClientAsync();
        await Api.AssertProblemAsync(await client.PostAsync("/api/v1/ratelimit/blocks", Api.Json(body)), HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task ResetRefillsAndDrainEmptiesAKey()
    {
        using HttpClient client = await TenantClientAsync();
        const string check = """{"key":"r","limit":5,"windowMs":3600000,"algorithm":"token_bucket"}""";
        await DecisionAsync(client, check);
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/v1/ratelimit/reset", Api.Json("""{"key":"r"}"""))).StatusCode);
        Assert.Equal(4, (await DecisionAsync(client, check)).GetProperty("remaining").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/v1/ratelimit/drain", Api.Json("""{"key":"r","limit":5,"windowMs":3600000,"algorithm":"token_bucket"}"""))).StatusCode);
        Assert.False((await DecisionAsync(client, check)).GetProperty("allowed").GetBoolean());
        await Api.AssertProblemAsync(await client.PostAsync("/api/v1/ratelimit/reset", Api.Json("""{"key":""}""")), HttpStatusCode.BadRequest, "key");
        await Api.AssertProblemAsync(await client.PostAsync("/api/v1/ratelimit/reset", Api.Json("""{"key":"r","policy":"missing"}""")), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task StatisticsCountChecksOutcomesAndTheMostLimitedKeys()
    {
        using HttpClient client = await TenantClientAsync();
        for (int i = 0; i < 5; i++)
        {
            await DecisionAsync(client, """{"key":"hot","limit":2,"windowMs":3600000}""");
        }

        await DecisionAsync(client, """{"key":"warm","limit":1,"windowMs":3600000}""");
        await DecisionAsync(client, """{"key":"warm","limit":1,"windowMs":3600000}""");
        await DecisionAsync(client, """{"key":"quiet","limit":1,"windowMs":3600000,"mode":"shadow"}""");
        await DecisionAsync(client, """{"key":"quiet","limit":1,"windowMs":3600000,"mode":"shadow"}""");

        await AssertStatisticsOfTheNineChecksAsync(client);
    }

    // 5 x hot (limit 2), 2 x warm (limit 1), 2 x quiet (limit 1, shadow), in that order.
    private static async Task AssertStatisticsOfTheNineChecksAsync(HttpClient client)
    {
        JsonElement stats = await Api.ReadJsonAsync(await client.GetAsync("/api/v1/ratelimit/stats"));
        Assert.Equal(9, stats.GetProperty("checks").GetInt64());
        Assert.Equal(5, stats.GetProperty("allowed").GetInt64());
        Assert.Equal(4, stats.GetProperty("rejected").GetInt64());
        Assert.Equal(1, stats.GetProperty("shadowRejected").GetInt64());
        Assert.Equal(3, stats.GetProperty("nearLimit").GetInt64());
        Assert.Equal(["hot", "warm"], stats.GetProperty("topLimitedKeys").EnumerateArray().Select(k => k.GetProperty("key").GetString()));
        Assert.Equal(3, stats.GetProperty("topLimitedKeys")[0].GetProperty("rejected").GetInt64());
    }

    [Fact]
    public async Task StatisticsCountABatchLikeTheSameChecksSentOneByOne()
    {
        using HttpClient client = await TenantClientAsync();
        string hot = string.Join(",", Enumerable.Repeat("""{"key":"hot","limit":2,"windowMs":3600000}""", 5));
        using HttpResponseMessage batch = await client.PostAsync("/api/v1/ratelimit/check-batch", Api.Json($$"""
            {"checks":[{{hot}},
              {"key":"warm","limit":1,"windowMs":3600000},{"key":"warm","limit":1,"windowMs":3600000},
              {"key":"quiet","limit":1,"windowMs":3600000,"mode":"shadow"},{"key":"quiet","limit":1,"windowMs":3600000,"mode":"shadow"}]}
            """));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);

        await AssertStatisticsOfTheNineChecksAsync(client);
    }

    [Fact]
    public async Task TenantsCannotSeeOrConsumeEachOthersLimitsPoliciesOrStatistics()
    {
        using HttpClient a = await TenantClientAsync();
        using HttpClient b = await TenantClientAsync();
        await a.PutAsync("/api/v1/ratelimit/policies/shared-name", Api.Json("""{"limit":1,"windowMs":3600000}"""));
        await a.PostAsync("/api/v1/ratelimit/blocks", Api.Json("""{"key":"victim","durationMs":600000}"""));
        Assert.True((await DecisionAsync(a, """{"key":"same","limit":1,"windowMs":3600000}""")).GetProperty("allowed").GetBoolean());

        Assert.True((await DecisionAsync(b, """{"key":"same","limit":1,"windowMs":3600000}""")).GetProperty("allowed").GetBoolean());
        Assert.True((await DecisionAsync(b, """{"key":"victim","limit":1,"windowMs":3600000}""")).GetProperty("allowed").GetBoolean());
        await Api.AssertProblemAsync(await b.GetAsync("/api/v1/ratelimit/policies/shared-name"), HttpStatusCode.NotFound);
        await Api.AssertProblemAsync(await CheckAsync(b, """{"key":"x","policy":"shared-name"}"""), HttpStatusCode.NotFound);
        Assert.Empty((await Api.ReadJsonAsync(await b.GetAsync("/api/v1/ratelimit/policies"))).GetProperty("items").EnumerateArray());
        Assert.Empty((await Api.ReadJsonAsync(await b.GetAsync("/api/v1/ratelimit/blocks"))).GetProperty("items").EnumerateArray());
        await Api.AssertProblemAsync(await b.DeleteAsync("/api/v1/ratelimit/blocks/victim"), HttpStatusCode.NotFound);
        Assert.Equal(2, (await Api.ReadJsonAsync(await b.GetAsync("/api/v1/ratelimit/stats"))).GetProperty("checks").GetInt64());
        Assert.Equal(1, (await Api.ReadJsonAsync(await a.GetAsync("/api/v1/ratelimit/stats"))).GetProperty("checks").GetInt64());
    }

    [Fact]
    public async Task RateLimitRoutesNeedATenantKey()
    {
        using HttpClient anonymous = Gateway.CreateClient();
        using HttpResponseMessage response = await anonymous.PostAsync("/api/v1/ratelimit/check", Api.Json("""{"key":"k","limit":1,"windowMs":1000}"""));
        await Api.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        using HttpClient admin = Gateway.CreateClient(RateLimitGateway.AdminKey);
        await Api.AssertProblemAsync(await admin.PostAsync("/api/v1/ratelimit/check", Api.Json("""{"key":"k","limit":1,"windowMs":1000}""")), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task TheTenantRequestQuotaAnswers429WithRetryAfterAndRateLimitFields()
    {
        (_, string apiKey) = await Gateway.CreateTenantAsync("""{"limit":3,"windowMs":3600000}""");
        using HttpClient client = Gateway.CreateClient(apiKey);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/ratelimit/stats")).StatusCode);
        }

        using HttpResponseMessage refused = await client.GetAsync("/api/v1/ratelimit/stats");
        await Api.AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.InRange(int.Parse(Header(refused, "Retry-After")), 1, 1200);
        Assert.Equal("\"tenant-quota\";q=3;w=3600", Header(refused, "RateLimit-Policy"));
        Assert.StartsWith("\"tenant-quota\";r=0;t=", Header(refused, "RateLimit"));
    }

    [Fact]
    public async Task TheSalesmateRouteAnswersInItsOwnShape()
    {
        using HttpClient client = await TenantClientAsync();
        const string body = """{"clientId":"c1","endpoint":"/orders","limit":2,"windowMs":60000}""";
        JsonElement first = await Api.ReadJsonAsync(await client.PostAsync("/api/performance/rate-limit/check", Api.Json(body)));
        Assert.True(first.GetProperty("success").GetBoolean());
        Assert.True(first.GetProperty("allowed").GetBoolean());
        Assert.Equal(2, first.GetProperty("limit").GetInt64());
        Assert.Equal(1, first.GetProperty("remaining").GetInt64());
        DateTimeOffset resetAt = first.GetProperty("resetAt").GetDateTimeOffset();
        Assert.InRange(resetAt, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddSeconds(61));
        await client.PostAsync("/api/performance/rate-limit/check", Api.Json(body));
        Assert.False((await Api.ReadJsonAsync(await client.PostAsync("/api/performance/rate-limit/check", Api.Json(body)))).GetProperty("allowed").GetBoolean());
        await Api.AssertProblemAsync(await client.PostAsync("/api/performance/rate-limit/check", Api.Json("""{"endpoint":"/x"}""")), HttpStatusCode.BadRequest, "clientId");
    }

    [Fact]
    public async Task ApiKeysNeverAppearInTheLogs()
    {
        (_, string apiKey) = await Gateway.CreateTenantAsync();
        using HttpClient client = Gateway.CreateClient(apiKey);
        await DecisionAsync(client, """{"key":"k","limit":1,"windowMs":1000}""");
        await client.PostAsync("/api/v1/ratelimit/check", Api.Json("""{"key":"k","limit":0,"windowMs":1000}"""));
        using HttpClient wrong = Gateway.CreateClient(apiKey + "x");
        await wrong.PostAsync("/api/v1/ratelimit/check", Api.Json("""{"key":"k","limit":1,"windowMs":1000}"""));
        // pk_<tenant id>_<key id>_<secret>: the ids are hex, but the base64url secret may itself hold '_'.
        string secret = apiKey.Split('_', 4)[3];
        Assert.DoesNotContain(Gateway.Logs.Lines, m => m.Contains(secret, StringComparison.Ordinal));
        Assert.NotEmpty(Gateway.Logs.Lines);
    }

    private async Task<HttpClient> TenantClientAsync()
    {
        (_, string apiKey) = await Gateway.CreateTenantAsync();
        return Gateway.CreateClient(apiKey);
    }

    private static Task<HttpResponseMessage> CheckAsync(HttpClient client, string body) =>
        client.PostAsync("/api/v1/ratelimit/check", Api.Json(body));

    private static async Task<JsonElement> DecisionAsync(HttpClient client, string body)
    {
        using HttpResponseMessage response = await CheckAsync(client, body);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Api.ReadJsonAsync(response);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : throw new Xunit.Sdk.XunitException($"no {name} header");
}

using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Pulse.Gateway.Api.RateLimiting;
using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Gateway.Tests.RateLimiting;

public sealed class RateLimitBatchResultTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(7, false)]
    [InlineData(1000, false)]
    public async Task TheAnswerIsWhatSerializingTheResponseObjectWrites(int count, bool allAllowed)
    {
        RateLimitCheckResult[] results = RateLimitBatchResult.RentResults(count);

        // A pooled array is usually longer than the batch, and its tail holds an earlier batch's answers.
        Assert.True(results.Length >= count);
        Array.Fill(results, new RateLimitCheckResult(new RateLimitDecision(false, 9, 9, 9, 9), RateLimitOutcome.Blocked, "stale"));
        for (int i = 0; i < count; i++)
        {
            results[i] = Result(i, allAllowed);
        }

        RateLimitCheckResult[] expectedResults = results[..count];
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        IResult answer = RateLimitBatchResult.Create(results, count);
        await answer.ExecuteAsync(context);

        var equivalent = new RateLimitBatchResponse
        {
            Allowed = expectedResults.All(r => r.Decision.Allowed),
            Results = expectedResults.Select(r => RateLimitBatchResult.ToResponse(r)).ToArray(),
        };
        byte[] expected = JsonSerializer.SerializeToUtf8Bytes(equivalent, RateLimitJsonContext.Default.RateLimitBatchResponse);
        Assert.Equal(Encoding(expected), Encoding(body.ToArray()));
        Assert.Equal(expected.Length, context.Response.ContentLength);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", context.Response.ContentType);
        Assert.Equal(allAllowed, equivalent.Allowed);

        // The array went back to the pool with the body written: a second write has nothing to write from.
        await Assert.ThrowsAsync<InvalidOperationException>(() => answer.ExecuteAsync(new DefaultHttpContext()));
    }

    [Fact]
    public async Task AResultsArrayShorterThanTheBatchIsRefusedBeforeAnyCheckRuns()
    {
        // Neither the grains nor the statistics are reached: the guard comes first.
        var service = new RateLimitService(grains: null!, stats: null!);
        var checks = new ResolvedRateLimitCheck[3];

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => service.CheckBatchAsync("tenant", checks, new RateLimitCheckResult[2], allOrNothing: false));
        Assert.Equal("results", error.ParamName);
    }

    [Fact]
    public void EveryOutcomeMapsToItsWireForm()
    {
        var decision = new RateLimitDecision(false, 10, 0, 1_000, 250);
        RateLimitCheckResponse blocked = RateLimitBatchResult.ToResponse(new RateLimitCheckResult(decision, RateLimitOutcome.Blocked, "abuse"));
        RateLimitCheckResponse rejected = RateLimitBatchResult.ToResponse(new RateLimitCheckResult(decision, RateLimitOutcome.Rejected, "ignored unless blocked"));
        RateLimitCheckResponse shadow = RateLimitBatchResult.ToResponse(new RateLimitCheckResult(decision with { Allowed = true }, RateLimitOutcome.ShadowRejected));

        Assert.Equal(("abuse", false, 10L, 0L, 1_000L, 250L), (blocked.Blocked, blocked.Allowed, blocked.Limit, blocked.Remaining, blocked.ResetAfterMs, blocked.RetryAfterMs));
        Assert.Null(rejected.Blocked);
        Assert.False(rejected.ShadowRejected);
        Assert.True(shadow.ShadowRejected);
        Assert.True(shadow.Allowed);
    }

    [Theory]
    [InlineData(true, 100L, 99L, 0L, 0L, 0L, RateLimitOutcome.Allowed)]
    [InlineData(false, long.MaxValue, long.MinValue, long.MaxValue, long.MinValue, long.MinValue, RateLimitOutcome.ShadowRejected)]
    [InlineData(false, long.MinValue, -1L, -10L, long.MaxValue, long.MaxValue, RateLimitOutcome.Rejected)]
    [InlineData(true, 1L, 0L, 9L, 0L, 0L, RateLimitOutcome.NearLimit)]
    [InlineData(false, 5L, 0L, 1_000L, 1_000L, 0L, RateLimitOutcome.Blocked)]
    [InlineData(true, 10L, 2L, 300L, 0L, 200L, RateLimitOutcome.Allowed)]
    [InlineData(true, 10L, 0L, 500L, 0L, 400L, RateLimitOutcome.NearLimit)]
    public void AFormattedDecisionIsWhatTheSerializerWrites(bool allowed, long limit, long remaining, long resetAfterMs, long retryAfterMs, long delayMs, RateLimitOutcome outcome)
    {
        // A block without a reason is formatted too; the serializer omits the null reason, and a delay of 0.
        var result = new RateLimitCheckResult(new RateLimitDecision(allowed, limit, remaining, resetAfterMs, retryAfterMs, delayMs), outcome);
        Span<byte> formatted = stackalloc byte[RateLimitBatchResult.MaxFormattedLength];

        int length = RateLimitBatchResult.Format(result, formatted);

        byte[] expected = JsonSerializer.SerializeToUtf8Bytes(RateLimitBatchResult.ToResponse(result), RateLimitJsonContext.Default.RateLimitCheckResponse);
        Assert.Equal(Encoding(expected), Encoding(formatted[..length].ToArray()));
    }

    private static RateLimitCheckResult Result(int i, bool allAllowed)
    {
        long remaining = i % 100;
        return (allAllowed ? 0 : i % 5) switch
        {
            0 => new RateLimitCheckResult(new RateLimitDecision(true, 100, remaining, 60_000 + i, 0, i % 3 == 0 ? 0 : 600 * i), RateLimitOutcome.Allowed),
            1 => new RateLimitCheckResult(new RateLimitDecision(true, 100, 1, 60_000, 0), RateLimitOutcome.NearLimit),
            2 => new RateLimitCheckResult(new RateLimitDecision(false, 100, 0, 60_000, 600 + i), RateLimitOutcome.Rejected),
            3 => new RateLimitCheckResult(new RateLimitDecision(false, 100, 0, 30_000, 30_000), RateLimitOutcome.Blocked, $"abuse \"{i}\" <tag> é"),
            _ => new RateLimitCheckResult(new RateLimitDecision(true, 100, 0, 60_000, 0), RateLimitOutcome.ShadowRejected),
        };
    }

    private static string Encoding(byte[] json) => System.Text.Encoding.UTF8.GetString(json);
}

using Microsoft.AspNetCore.Http;
using Pulse.Gateway.Api.RateLimiting;
using Pulse.GrainInterfaces.RateLimiting;

namespace Pulse.Gateway.Tests.RateLimiting;

public sealed class RateLimitHeadersTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void EachAnswerOnOneThreadGetsItsOwnPolicyCountsAndResetEvenWhenTheTextIsReused()
    {
        // One thread, as a request thread would serve them: the same policy twice, then others that differ
        // in one part each, then the first again.
        var hundredPerMinute = new RateLimitRule(RateLimitAlgorithm.Gcra, Limit: 100, WindowMs: 60_000);
        (string Policy, RateLimitRule Rule, RateLimitDecision Decision, DateTimeOffset Now)[] answers =
        [
            ("api", hundredPerMinute, new RateLimitDecision(true, 100, 99, 600, 0), Now),
            ("api", hundredPerMinute, new RateLimitDecision(true, 100, 98, 1_200, 0), Now),
            ("api", hundredPerMinute with { WindowMs = 120_000 }, new RateLimitDecision(true, 100, 97, 1_800, 0), Now.AddSeconds(1)),
            ("login", hundredPerMinute, new RateLimitDecision(true, 100, 96, 2_400, 0), Now.AddSeconds(1)),
            ("api", hundredPerMinute with { Limit = 5_000 }, new RateLimitDecision(false, 5_000, 0, 60_000, 12), Now.AddSeconds(2)),
            ("api", hundredPerMinute, new RateLimitDecision(true, 100, 95, 3_000, 0), Now),
        ];
        string[] expected =
        [
            "\"api\";q=100;w=60|\"api\";r=99;t=1|100|99|1700000001|",
            "\"api\";q=100;w=60|\"api\";r=98;t=2|100|98|1700000002|",
            "\"api\";q=100;w=120|\"api\";r=97;t=2|100|97|1700000003|",
            "\"login\";q=100;w=60|\"login\";r=96;t=3|100|96|1700000004|",
            "\"api\";q=5000;w=60|\"api\";r=0;t=60|5000|0|1700000062|1",
            "\"api\";q=100;w=60|\"api\";r=95;t=3|100|95|1700000003|",
        ];

        string[] written = answers.Select(answer =>
        {
            var context = new DefaultHttpContext();
            RateLimitHeaders.Write(context.Response, answer.Policy, answer.Rule, answer.Decision, answer.Now);
            IHeaderDictionary headers = context.Response.Headers;
            return string.Join('|', headers["RateLimit-Policy"], headers["RateLimit"], headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"], headers["X-RateLimit-Reset"], headers.RetryAfter);
        }).ToArray();

        Assert.Equal(expected, written);
    }
}

using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pulse.Gateway.Api.Hosting;

namespace Pulse.Gateway.Tests;

/// <summary>
/// The gateway's request limits as an operator gets them: the 1 MiB body limit with no setting at all
/// (the shared fixture lowers it to keep its 413 tests small), and the request timeout's 504 problem.
/// Each test runs its own gateway API on real Kestrel over the fixture's silo.
/// </summary>
public sealed class GatewayDefaultsTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task WithNoSettingABodyOfOneMebibyteIsReadAndOneByteMoreIs413()
    {
        await using WebApplication app = await StartGatewayAsync(new Dictionary<string, string?>());
        using HttpClient admin = CreateAdminClient(app);

        // The same JSON shape both times; only the length of the name differs. A 1 MiB name is read and
        // refused for its length (400 naming it): the body limit let it through.
        string Body(long length) => $$"""{"name":"{{new string('a', (int)(length - """{"name":""}""".Length))}}"}""";
        Assert.Equal(GatewayApiOptions.DefaultMaxRequestBodyBytes, Body(GatewayApiOptions.DefaultMaxRequestBodyBytes).Length);

        using HttpResponseMessage atLimit = await admin.PostAsync("/api/v1/admin/tenants", Api.Json(Body(GatewayApiOptions.DefaultMaxRequestBodyBytes)));
        JsonElement refused = await Api.AssertProblemAsync(atLimit, HttpStatusCode.BadRequest, "name");
        Assert.DoesNotContain("too large", refused.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        using HttpResponseMessage overLimit = await admin.PostAsync("/api/v1/admin/tenants", Api.Json(Body(GatewayApiOptions.DefaultMaxRequestBodyBytes + 1)));
        await Api.AssertProblemAsync(overLimit, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task ARequestRunningPastTheRequestTimeoutIsAnswered504WithAProblem()
    {
        await using WebApplication app = await StartGatewayAsync(
            new Dictionary<string, string?>
            {
                ["Pulse:Gateway:RequestTimeout"] = "00:00:00.300",

                // The cache's long-poll limit must stay under the request timeout; start-up checks that.
                ["Pulse:Cache:MaxWait"] = "00:00:00.100",
            },
            slow => slow.MapGet("/test/slow", async (HttpContext context) =>
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
                return "never";
            }));
        using HttpClient client = CreateAdminClient(app);

        using HttpResponseMessage response = await client.GetAsync("/test/slow");
        JsonElement problem = await Api.AssertProblemAsync(response, HttpStatusCode.GatewayTimeout);
        Assert.Contains("0.3 s", problem.GetProperty("detail").GetString());
    }

    private Task<WebApplication> StartGatewayAsync(Dictionary<string, string?> settings, Action<WebApplication>? map = null)
    {
        settings["Pulse:Gateway:AdminKey"] = GatewayFixture.AdminKey;
        return TestGatewayApi.StartAsync(fixture.Silo.GrainFactory, settings, map: map);
    }

    private static HttpClient CreateAdminClient(WebApplication app)
    {
        var client = new HttpClient { BaseAddress = TestGatewayApi.BaseAddressOf(app) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GatewayFixture.AdminKey);
        return client;
    }
}

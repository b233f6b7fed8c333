using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Pulse.Gateway.Api.Json;
using Pulse.Gateway.Api.Problems;
using Pulse.Gateway.Api.RateLimiting;

namespace Pulse.Gateway.Tests.Json;

public sealed class JsonResponseBodyTests
{
    [Fact]
    public async Task BodiesOfEverySizeAndContextAreWhatTheSerializerWritesWithTheirLength()
    {
        // Larger than the first pooled buffer many times over, and past the large-object threshold.
        var batch = new RateLimitBatchResponse
        {
            Allowed = false,
            Results = Enumerable.Range(0, 1000)
                .Select(i => new RateLimitCheckResponse { Allowed = i % 3 != 0, Limit = 100, Remaining = i, ResetAfterMs = 60_000 + i, RetryAfterMs = i % 3 == 0 ? 600 : 0, Blocked = i == 7 ? "abuse \"quoted\" <tag>" : null })
                .ToArray(),
        };
        var problem = new ApiProblem { Title = "Bad Request", Status = 400, Detail = "é and \u2028 need escaping", Errors = new Dictionary<string, string[]> { ["checks[3].limit"] = ["must be at least 1"] } };

        // Alternating contexts on one thread: each body must use its own context's options.
        for (int round = 0; round < 2; round++)
        {
            await AssertWrittenAsync(batch, RateLimitJsonContext.Default.RateLimitBatchResponse, StatusCodes.Status200OK);
            await AssertWrittenAsync(problem, GatewayJsonContext.Default.ApiProblem, StatusCodes.Status400BadRequest);
            await AssertWrittenAsync(new RateLimitCheckResponse { Allowed = true, Limit = 5, Remaining = 4 }, RateLimitJsonContext.Default.RateLimitCheckResponse, StatusCodes.Status200OK);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(20_000)]
    [InlineData(1_000_000)]
    public async Task AWriterCallbackGivesTheSameBodyWhateverTheSizeHint(int sizeHint)
    {
        string[] names = Enumerable.Range(0, 2_000).Select(i => $"key-{i}-\u00e9").ToArray();
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await JsonResponseBody.WriteAsync(
            context,
            names,
            static (writer, state) =>
            {
                writer.WriteStartArray();
                foreach (string name in state)
                {
                    writer.WriteStringValue(name);
                }

                writer.WriteEndArray();
            },
            GatewayJsonContext.Default.Options,
            sizeHint,
            StatusCodes.Status202Accepted,
            "application/json");

        // The same values through a plain writer with the options' encoder: escaping must follow the options.
        var plain = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(plain, new JsonWriterOptions { Encoder = GatewayJsonContext.Default.Options.Encoder }))
        {
            writer.WriteStartArray();
            foreach (string name in names)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
        }

        byte[] expected = plain.WrittenSpan.ToArray();
        Assert.Equal(expected, body.ToArray());
        Assert.Equal(expected.Length, context.Response.ContentLength);
        Assert.Equal(StatusCodes.Status202Accepted, context.Response.StatusCode);
    }

    private static async Task AssertWrittenAsync<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, int status)
    {
        var context = new DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;

        await JsonResponseBody.WriteAsync(context, value, typeInfo, status, "application/json; charset=utf-8");

        byte[] expected = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        Assert.Equal(expected, body.ToArray());
        Assert.Equal(expected.Length, context.Response.ContentLength);
        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", context.Response.ContentType);
    }
}

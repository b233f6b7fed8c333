using System.Text;
using System.Text.Json;
using Pulse.Gateway.Api.RateLimiting;

namespace Pulse.Gateway.Tests.RateLimiting;

/// <summary>
/// The batch body reader against the serializer: whatever the fast reader accepts must read to the serializer's
/// values, and every other body must get the serializer's values or its very error.
/// </summary>
public sealed class RateLimitBatchBodyTests
{
    private const string Canonical =
        """{"checks":[{"key":"k1","limit":100,"windowMs":60000},{"key":"user:\u00e9\"x","limit":5,"windowMs":1000,"algorithm":"token_bucket","burst":10,"cost":-2,"mode":"shadow"},{"key":"k3","policy":"api","cost":0,"limit":null}],"allOrNothing":true}""";

    [Theory]
    [InlineData(Canonical)]
    [InlineData("""{"checks":[{"key":"a","limit":1,"windowMs":1}]}""")]
    [InlineData("""{"allOrNothing":false,"checks":[{"windowMs":1,"limit":1,"key":"a"}]}""")]
    [InlineData(""" { "checks" : [ { "key" : "a" , "limit" : 9223372036854775807 , "windowMs" : -1 } ] } """)]
    [InlineData("""{"checks":[{"k\u0065y":"\u0061","algorithm":"gcra","mode":"enforce"}]}""")]
    [InlineData("""{"checks":[{"key":"a","algorithm":"GCRA","mode":"loud"}]}""")]
    [InlineData("""{"checks":[{}]}""")]
    [InlineData("""{"checks":[]}""")]
    [InlineData("""{"checks":null,"allOrNothing":true}""")]
    [InlineData("""{}""")]
    public void TheCommonShapeIsReadFastToTheSerializersValues(string json)
    {
        using RateLimitBatchBody body = RateLimitBatchBody.Parse(Encoding.UTF8.GetBytes(json))!;

        Assert.True(body.ReadFast);
        AssertSameAsSerializer(json, body);
    }

    [Theory]
    [InlineData("""{"checks":[{"Key":"a","limit":1,"windowMs":1}]}""")]
    [InlineData("""{"CHECKS":[{"key":"a"}]}""")]
    [InlineData("""{"checks":[{"key":"a","limit":"100","windowMs":"1000"}]}""")]
    [InlineData("""{"checks":[{"key":"a","extra":{"nested":[1,2,{"x":null}]}}],"other":1}""")]
    [InlineData("""{"checks":[{"key":"a","key":"b"}]}""")]
    [InlineData("""{"checks":[{"key":"a"}],"checks":[{"key":"b"},{"key":"c"}]}""")]
    [InlineData("""{"checks":[{"key":"a"},null,{"key":"c"}]}""")]
    [InlineData("""{"checks":[{"key":"a"}],"allOrNothing":true,"allOrNothing":false}""")]
    public void OtherShapesGetTheSerializersValues(string json)
    {
        using RateLimitBatchBody body = RateLimitBatchBody.Parse(Encoding.UTF8.GetBytes(json))!;

        Assert.False(body.ReadFast);
        AssertSameAsSerializer(json, body);
    }

    [Fact]
    public void ANullCheckIsMissingNotEmpty()
    {
        using RateLimitBatchBody body = RateLimitBatchBody.Parse("""{"checks":[{"key":"a"},null]}"""u8)!;

        Assert.Equal(2, body.Count);
        Assert.True(body.Checks[0].Present);
        Assert.False(body.Checks[1].Present);
    }

    [Theory]
    [InlineData(1_000, true)]
    [InlineData(1_001, false)]
    public void ABatchOverTheMaximumIsCountedButNotRead(int count, bool fast)
    {
        string json = "{\"checks\":[" + string.Join(",", Enumerable.Range(0, count).Select(i => $"{{\"key\":\"k{i}\",\"limit\":1,\"windowMs\":1}}")) + "]}";

        using RateLimitBatchBody body = RateLimitBatchBody.Parse(Encoding.UTF8.GetBytes(json))!;

        Assert.Equal(count, body.Count);
        Assert.Equal(fast, body.ReadFast);
        Assert.Equal(count <= RateLimitOptions.MaxBatchChecks ? count : 0, body.Checks.Length);
        if (fast)
        {
            Assert.Equal("k999", body.Checks[999].Key);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(333)]
    [InlineData(1_000)]
    public void TheDensestBodiesStillFitTheArraySizedFromTheirLength(int count)
    {
        // Empty checks are the fewest bytes a check can take; the array is sized from the body's length.
        string json = "{\"checks\":[" + string.Join(",", Enumerable.Repeat("{}", count)) + "]}";

        using RateLimitBatchBody body = RateLimitBatchBody.Parse(Encoding.UTF8.GetBytes(json))!;

        Assert.True(body.ReadFast);
        Assert.Equal(count, body.Count);
        Assert.All(body.Checks.ToArray(), check => Assert.Equal(new RateLimitCheckFields(true, null, null, null, null, null, null, null, null), check));
    }

    [Fact]
    public void AJsonNullIsNoBody()
    {
        Assert.Null(RateLimitBatchBody.Parse("null"u8));
    }

    [Theory]
    [InlineData("""{"checks":[{"key":"a"}]""")]
    [InlineData("""{"checks":[{"key":"a"}]} x""")]
    [InlineData("""{"checks":[{"key":"a",}]}""")]
    [InlineData("""{"checks":[{"key":"a"}]} // done""")]
    [InlineData("""{"checks":[{"key":"a","limit":1.5}]}""")]
    [InlineData("""{"checks":[{"key":"a","limit":99999999999999999999}]}""")]
    [InlineData("""{"checks":[{"key":7}]}""")]
    [InlineData("""{"checks":{"key":"a"}}""")]
    [InlineData("""{"checks":[{"key":"a"}],"allOrNothing":"yes"}""")]
    [InlineData("""{"checks":[["key"]]}""")]
    [InlineData("""[{"key":"a"}]""")]
    public void ABodyTheSerializerRefusesGetsItsError(string json)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        JsonException expected = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(bytes, RateLimitJsonContext.Default.RateLimitBatchRequest));

        JsonException actual = Assert.ThrowsAny<JsonException>(() => RateLimitBatchBody.Parse(bytes));

        Assert.Equal(expected.Message, actual.Message);
        Assert.Equal(expected.Path, actual.Path);
    }

    [Fact]
    public void MutatedBodiesReadAsTheSerializerReadsThem()
    {
        // Thousands of near-misses of the common shape: each either reads to the serializer's values or
        // fails with its error. A fast reader that accepted something the serializer reads differently fails here.
        byte[] source = Encoding.UTF8.GetBytes(Canonical);
        byte[] alphabet = "{}[],:\"\\ 0123456789-.eEtrufalsnxyzkKLimw"u8.ToArray();
        var random = new Random(20261204);
        int fast = 0;
        int refused = 0;
        for (int n = 0; n < 5_000; n++)
        {
            var body = new List<byte>(source);
            int edits = 1 + random.Next(3);
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(body.Count);
                switch (random.Next(3))
                {
                    case 0: body.RemoveAt(at); break;
                    case 1: body.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                    default: body[at] = alphabet[random.Next(alphabet.Length)]; break;
                }
            }

            byte[] bytes = body.ToArray();
            string json = Encoding.UTF8.GetString(bytes);
            JsonException? expected = null;
            try
            {
                JsonSerializer.Deserialize(bytes, RateLimitJsonContext.Default.RateLimitBatchRequest);
            }
            catch (JsonException exception)
            {
                expected = exception;
            }

            if (expected is not null)
            {
                JsonException actual = Assert.ThrowsAny<JsonException>(() => RateLimitBatchBody.Parse(bytes));
                Assert.Equal(expected.Message, actual.Message);
                refused++;
                continue;
            }

            using RateLimitBatchBody? parsed = RateLimitBatchBody.Parse(bytes);
            if (parsed is null)
            {
                Assert.Null(JsonSerializer.Deserialize(bytes, RateLimitJsonContext.Default.RateLimitBatchRequest));
                continue;
            }

            fast += parsed.ReadFast ? 1 : 0;
            AssertSameAsSerializer(json, parsed);
        }

        // The mutations must reach both paths and the errors, or this test proves little.
        Assert.InRange(fast, 100, 5_000);
        Assert.InRange(refused, 100, 5_000);
    }

    private static void AssertSameAsSerializer(string json, RateLimitBatchBody body)
    {
        RateLimitBatchRequest request = JsonSerializer.Deserialize(json, RateLimitJsonContext.Default.RateLimitBatchRequest)!;
        RateLimitCheckFields[] expected = (request.Checks ?? []).Select(RateLimitCheckFields.From).ToArray();

        Assert.Equal(expected.Length, body.Count);
        Assert.Equal(request.AllOrNothing, body.AllOrNothing);
        Assert.Equal(expected, body.Checks.ToArray());
    }
}

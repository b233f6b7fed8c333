using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Caching;
using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.Caching;

namespace Pulse.Gateway.Tests.Caching;

/// <summary>The cache API's options validation and the input rules shared by the query and mset bodies.</summary>
public sealed class CacheApiOptionsTests
{
    private static readonly CacheApiOptionsValidator Validator = new(Options.Create(new GatewayApiOptions()));

    [Fact]
    public void TheDefaultsAreValid()
    {
        var options = new CacheApiOptions();
        Assert.True(Validator.Validate(null, options).Succeeded);
        Assert.Equal(1_048_576, options.MaxValueBytes);
        Assert.Equal(8L * 1024 * 1024, options.MaxBatchBodyBytes);
        Assert.Equal(TimeSpan.FromSeconds(20), options.MaxWait);
        Assert.Equal(TimeSpan.FromSeconds(300), options.MaxLease);
    }

    [Theory]
    [InlineData(nameof(CacheApiOptions.MaxValueBytes), 1023)]
    [InlineData(nameof(CacheApiOptions.MaxValueBytes), 16 * 1024 * 1024 + 1)]
    [InlineData(nameof(CacheApiOptions.MaxBatchBodyBytes), 1024 * 1024)]
    [InlineData(nameof(CacheApiOptions.MaxWait), 30)]
    [InlineData(nameof(CacheApiOptions.MaxWait), -1)]
    [InlineData(nameof(CacheApiOptions.MaxLease), 0)]
    [InlineData(nameof(CacheApiOptions.MaxLease), 3601)]
    public void EachBadSettingIsNamed(string setting, long value)
    {
        var options = new CacheApiOptions();
        switch (setting)
        {
            case nameof(CacheApiOptions.MaxValueBytes):
                options.MaxValueBytes = (int)value;
                break;
            case nameof(CacheApiOptions.MaxBatchBodyBytes):
                options.MaxBatchBodyBytes = value;
                break;
            case nameof(CacheApiOptions.MaxWait):
                options.MaxWait = TimeSpan.FromSeconds(value);
                break;
            default:
                options.MaxLease = TimeSpan.FromSeconds(value);
                break;
        }

        ValidateOptionsResult result = Validator.Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains($"Pulse:Cache:{setting}", result.FailureMessage);
    }

    [Fact]
    public void QueryOptionsBecomeEntryOptionsWithTagsTrimmedAndDeduplicated()
    {
        var errors = new ValidationErrors();
        var query = new QueryCollection(new Dictionary<string, Microsoft.Extensions.Primitives.StringValues>
        {
            ["ttl"] = "PT5M",
            ["sliding"] = "true",
            ["priority"] = "never_remove",
            ["tags"] = new(["a, b", "a,c"]),
            ["durable"] = "false",
            ["stale"] = "1.5",
        });
        CacheEntryOptions? options = CacheInput.FromQuery(query, errors);
        Assert.False(errors.HasErrors, errors.Detail());
        Assert.NotNull(options);
        Assert.Equal(300_000, options.TtlMs);
        Assert.True(options.Sliding);
        Assert.Equal(CachePriority.NeverRemove, options.Priority);
        Assert.Equal(["a", "b", "c"], options.Tags);
        Assert.False(options.Durable);
        Assert.Equal(1_500, options.StaleMs);
    }

    [Fact]
    public void NoQueryOptionsMeanTheDefaults()
    {
        var errors = new ValidationErrors();
        CacheEntryOptions? options = CacheInput.FromQuery(new QueryCollection(), errors);
        Assert.False(errors.HasErrors);
        Assert.Equal(CacheEntryOptions.Default with { Tags = [] }, options! with { Tags = [] });
        Assert.Empty(options.Tags);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData(" {\"a\": [1, 2, {\"b\": null}]}\n", true)]
    [InlineData("\"€\"", true)]
    [InlineData("null", true)]
    [InlineData("", false)]
    [InlineData("{} {}", false)]
    [InlineData("[1,]", false)]
    public void AValueIsExactlyOneJsonValue(string json, bool valid)
    {
        Assert.Equal(valid, CacheInput.ValidateValue(System.Text.Encoding.UTF8.GetBytes(json)) is null);
    }
}

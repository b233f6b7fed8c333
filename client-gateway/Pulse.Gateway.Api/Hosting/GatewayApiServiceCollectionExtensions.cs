using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Caching;
using Pulse.Gateway.Api.Json;
using Pulse.Gateway.Api.Problems;
using Pulse.Gateway.Api.RateLimiting;
using Pulse.Gateway.Api.Security;

namespace Pulse.Gateway.Api.Hosting;

/// <summary>Registers the REST API's services.</summary>
public static class GatewayApiServiceCollectionExtensions
{
    /// <summary>
    /// Adds the REST API: options from <c>Pulse:Gateway</c> (validated at start), source-generated JSON,
    /// response compression, request timeouts, OpenAPI, the key cache and authenticators. The host must
    /// also register an <see cref="Pulse.Runtime.IGrainFactory"/> and health checks tagged
    /// <see cref="GatewayHealthTags.Ready"/>. Safe to call twice.
    /// </summary>
    public static IServiceCollection AddPulseGatewayApi(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(GatewayApiMarker)))
        {
            return services;
        }

        services.AddSingleton<GatewayApiMarker>();
        services.AddOptions<GatewayApiOptions>().Bind(configuration.GetSection(GatewayApiOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayApiOptions>, GatewayApiOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiKeyCache>();
        services.TryAddSingleton<AdminKeyVerifier>();
        services.TryAddSingleton<TenantAuthenticator>();
        services.AddHostedService<GatewayApiStartupLog>();

        // Minimal APIs and the OpenAPI generator read JSON metadata from here: source-generated first.
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default));

        // The threshold wrapper goes in first, so AddResponseCompression's TryAdd keeps it.
        services.TryAddSingleton<ResponseCompressionProvider>();
        services.TryAddSingleton<IResponseCompressionProvider, ThresholdCompressionProvider>();
        services.AddResponseCompression(options =>
        {
            options.Providers.Add<BrotliCompressionProvider>();
            options.Providers.Add<GzipCompressionProvider>();
            options.MimeTypes = ["application/json", ProblemResponses.ContentType];
        });

        services.AddRequestTimeouts();
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<GatewayApiOptions>>((timeouts, api) =>
            timeouts.DefaultPolicy = new RequestTimeoutPolicy
            {
                Timeout = api.Value.RequestTimeout,
                TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
                WriteTimeoutResponse = context => ProblemResponses.WriteAsync(
                    context, StatusCodes.Status504GatewayTimeout, $"The request did not complete within {api.Value.RequestTimeout.TotalSeconds:0.###} s."),
            });

        services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Pulse API";
            document.Info.Description = "Pulse's REST API. Errors are RFC 9457 problem details; lists are cursor-paginated; tenants authenticate with 'Authorization: Bearer <api key>', operators with the admin key.";
            return Task.CompletedTask;
        }));
        services.AddHealthChecks();
        services.AddPulseRateLimiting(configuration);
        services.AddPulseCaching(configuration);
        return services;
    }

    /// <summary>Marks that the API was added, so a second call changes nothing.</summary>
    private sealed class GatewayApiMarker;
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Pulse.Silo.Hosting;

namespace Pulse.Gateway.Tests;

/// <summary>The single-node silo serves the gateway API itself, with a generated admin key.</summary>
public sealed class SiloEmbeddedGatewayTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "pulse-gw-" + Guid.NewGuid().ToString("N"));

    public SiloEmbeddedGatewayTests() => Directory.CreateDirectory(_dataDirectory);

    [Fact]
    public async Task SingleNodeSiloServesTheGatewayWithAnOwnerOnlyAdminKeyFileThatSurvivesARestart()
    {
        int httpPort = SiloProcess.FreePort();
        int gatewayPort = SiloProcess.FreePort();
        string gateway = $"http://127.0.0.1:{gatewayPort}";
        var environment = new Dictionary<string, string>
        {
            ["PULSE_DATA_DIR"] = _dataDirectory,
            ["PULSE_HTTP_URL"] = $"http://127.0.0.1:{httpPort}",
            ["PULSE_GATEWAY_URL"] = gateway,
        };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string keyFile = Path.Combine(_dataDirectory, "admin-key");
        string tenantKey;

        using (SiloProcess silo = SiloProcess.Start(_dataDirectory, environment))
        {
            await silo.WaitUntilOkAsync(http, $"{gateway}/health/ready");
            Assert.True(File.Exists(keyFile), "the admin key file was created in the data directory");
            Assert.False(OperatingSystem.IsWindows(), "these tests run on Linux, where the file mode is checked");
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }

            string adminKey = (await File.ReadAllTextAsync(keyFile)).Trim();
            Assert.Contains(adminKey, silo.Output);

            using var create = new HttpRequestMessage(HttpMethod.Post, $"{gateway}/api/v1/admin/tenants") { Content = Api.Json("""{"name":"embedded"}""") };
            create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
            using HttpResponseMessage created = await http.SendAsync(create);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            tenantKey = (await Api.ReadJsonAsync(created)).GetProperty("apiKey").GetString()!;
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{httpPort}/health/ready")).StatusCode);
            await silo.StopAsync();
        }

        // A restart reuses the key file, says where it is without printing the key, and the tenant's key still works.
        using (SiloProcess silo = SiloProcess.Start(_dataDirectory, environment))
        {
            await silo.WaitUntilOkAsync(http, $"{gateway}/health/ready");
            string adminKey = (await File.ReadAllTextAsync(keyFile)).Trim();
            Assert.DoesNotContain(adminKey, silo.Output);
            Assert.Contains(keyFile, silo.Output);

            using var me = new HttpRequestMessage(HttpMethod.Get, $"{gateway}/api/v1/tenant");
            me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tenantKey);
            using HttpResponseMessage response = await http.SendAsync(me);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("embedded", (await Api.ReadJsonAsync(response)).GetProperty("name").GetString());
            await silo.StopAsync();
        }
    }

    [Fact]
    public async Task ConfiguredAdminKeyIsUsedAndNoKeyFileIsWritten()
    {
        int gatewayPort = SiloProcess.FreePort();
        string gateway = $"http://127.0.0.1:{gatewayPort}";
        string adminKey = "configured-admin-key-" + Guid.NewGuid().ToString("N");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using SiloProcess silo = SiloProcess.Start(_dataDirectory, new Dictionary<string, string>
        {
            ["PULSE_DATA_DIR"] = _dataDirectory,
            ["PULSE_HTTP_URL"] = $"http://127.0.0.1:{SiloProcess.FreePort()}",
            ["PULSE_GATEWAY_URL"] = gateway,
            ["PULSE_STORAGE"] = "Memory",
            ["PULSE_ADMIN_KEY"] = adminKey,
        });
        await silo.WaitUntilOkAsync(http, $"{gateway}/health/ready");
        Assert.False(File.Exists(Path.Combine(_dataDirectory, "admin-key")));
        Assert.DoesNotContain(adminKey, silo.Output);

        using var list = new HttpRequestMessage(HttpMethod.Get, $"{gateway}/api/v1/admin/tenants");
        list.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using HttpResponseMessage response = await http.SendAsync(list);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Array, (await Api.ReadJsonAsync(response)).GetProperty("items").ValueKind);
        await silo.StopAsync();
    }

    [Theory]
    [InlineData(null, SiloMembershipProvider.None, SiloHostOptions.DefaultGatewayUrl)]
    [InlineData(null, SiloMembershipProvider.Sqlite, null)]
    [InlineData("", SiloMembershipProvider.None, null)]
    [InlineData("http://127.0.0.1:6000", SiloMembershipProvider.Sqlite, "http://127.0.0.1:6000")]
    public void GatewayIsOnByDefaultForASingleSiloOffForMembersAndConfigurable(string? configured, SiloMembershipProvider membership, string? expected)
    {
        var options = new SiloHostOptions { GatewayUrl = configured, Membership = membership };
        Assert.Equal(expected, options.EffectiveGatewayUrl);
    }

    [Fact]
    public void EmptyGatewayVariableTurnsTheGatewayOffWhileOtherEmptyVariablesAreIgnored()
    {
        var values = PulseEnvironment.Read(name => name is "PULSE_GATEWAY_URL" or "PULSE_HTTP_URL" ? string.Empty : null).ToDictionary();
        Assert.Equal(string.Empty, values["Pulse:Silo:GatewayUrl"]);
        Assert.False(values.ContainsKey("Pulse:Silo:HttpUrl"));
    }

    [Fact]
    public void GatewayUrlMustBeAnHttpUrlOnAnotherPortThanTheSilo()
    {
        var validator = new SiloHostOptionsValidator();
        Assert.True(validator.Validate(null, new SiloHostOptions { GatewayUrl = "not a url" }).Failed);
        Assert.True(validator.Validate(null, new SiloHostOptions { GatewayUrl = "http://127.0.0.1:8080" }).Failed);
        Assert.True(validator.Validate(null, new SiloHostOptions { GatewayUrl = "http://127.0.0.1:5081" }).Succeeded);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying process: the temp folder is cleaned up by the OS eventually.
        }
    }
}

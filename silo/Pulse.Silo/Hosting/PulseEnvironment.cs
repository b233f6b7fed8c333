namespace Pulse.Silo.Hosting;

/// <summary>
/// Maps the short <c>PULSE_*</c> environment variables that operators and scripts use onto
/// configuration keys. They override appsettings and <c>Pulse__*</c> variables; command-line
/// arguments override them.
/// </summary>
public static class PulseEnvironment
{
    /// <summary>Each short variable and the configuration key it sets.</summary>
    public static readonly IReadOnlyDictionary<string, string> Variables = new Dictionary<string, string>
    {
        ["PULSE_DATA_DIR"] = "Pulse:Silo:DataDirectory",
        ["PULSE_HTTP_URL"] = "Pulse:Silo:HttpUrl",
        ["PULSE_STORAGE"] = "Pulse:Silo:Storage",
        ["PULSE_POSTGRES"] = "Pulse:Silo:PostgresConnectionString",
        ["PULSE_SERVICE_ID"] = "Pulse:Cluster:ServiceId",
        ["PULSE_CLUSTER_ID"] = "Pulse:Cluster:ClusterId",
        ["PULSE_SILO_NAME"] = "Pulse:Cluster:SiloName",
        ["PULSE_MEMBERSHIP"] = "Pulse:Silo:Membership",
        ["PULSE_SILO_PORT"] = "Pulse:Networking:SiloPort",
        ["PULSE_CLIENT_PORT"] = "Pulse:Networking:ClientPort",
        ["PULSE_LISTEN_ADDRESS"] = "Pulse:Networking:ListenAddress",
        ["PULSE_ADVERTISED_ADDRESS"] = "Pulse:Networking:AdvertisedAddress",
        ["PULSE_GATEWAY_URL"] = "Pulse:Silo:GatewayUrl",
        ["PULSE_ADMIN_KEY"] = "Pulse:Gateway:AdminKey",
    };

    /// <summary>Variables whose empty value means something: an empty PULSE_GATEWAY_URL turns the embedded gateway off.</summary>
    private static readonly HashSet<string> s_emptyAllowed = new(StringComparer.Ordinal) { "PULSE_GATEWAY_URL" };

    /// <summary>Reads the variables that are set.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Read(Func<string, string?> getVariable)
    {
        foreach ((string variable, string key) in Variables)
        {
            string? value = getVariable(variable);
            if (value is not null && (value.Length > 0 || s_emptyAllowed.Contains(variable)))
            {
                yield return new KeyValuePair<string, string?>(key, value);
            }
        }
    }
}

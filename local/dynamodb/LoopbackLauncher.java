import java.lang.reflect.Field;

/**
 * Starts DynamoDB Local as its own main class does, but bound to one address (127.0.0.1 unless
 * -Dpresence.dynamodb.host says otherwise): DynamoDB Local has no bind-address option, and its
 * Jetty server listens on every interface. Run with Java's source launcher (JDK 11+), the jar on
 * the classpath. Reflection only, so it compiles against java.base alone.
 */
public class LoopbackLauncher {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("presence.dynamodb.host", "127.0.0.1");
    Class<?> runner = Class.forName("software.amazon.dynamodb.services.local.main.ServerRunner");
    Object proxy = runner.getMethod("createServerFromCommandLineArgs", String[].class).invoke(null, (Object) args);
    Field field = proxy.getClass().getDeclaredField("server");
    field.setAccessible(true);
    Object jetty = field.get(proxy);
    Object[] connectors = (Object[]) jetty.getClass().getMethod("getConnectors").invoke(jetty);
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind");
    for (Object connector : connectors) connector.getClass().getMethod("setHost", String.class).invoke(connector, host);
    proxy.getClass().getMethod("start").invoke(proxy);
  }
}

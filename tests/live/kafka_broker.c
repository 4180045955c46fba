/* A Kafka-protocol broker for the live tests: librdkafka's mock cluster
 * (Debian's librdkafka-dev), one broker on 127.0.0.1 and a random port.
 * It creates the topics named on the command line, prints its bootstrap
 * address, then takes commands on stdin, one per line, answering "ok":
 *   down | up      the broker stops or starts answering (a broker that
 *                  went away and came back: its clients reconnect)
 *   rtt <ms>       every answer is that late (a slow broker)
 *   refuse <n>     the next n Produce requests are refused: topic
 *                  authorization failed (a topic the broker will not take)
 * and stops at end of input.
 *
 * Why not tansu: tansu 0.6.0's ApiVersions reply carries tagged fields
 * that Debian 12's librdkafka 2.0.2 cannot read (fixed in librdkafka
 * 2.2.0), so neither kcat nor the plugin can talk to it. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  rd_kafka_conf_set (conf, "log_level", "3", err, sizeof (err));
  rd_kafka_t *rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, err, sizeof (err));
  if (!rk)
    {
      fprintf (stderr, "rd_kafka_new: %s\n", err);
      return 1;
    }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new (rk, 1);
  if (!mc)
    {
      fprintf (stderr, "no mock cluster\n");
      return 1;
    }
  for (int i = 1; i < argc; i++)
    rd_kafka_mock_topic_create (mc, argv[i], 1, 1);
  printf ("%s\n", rd_kafka_mock_cluster_bootstraps (mc));
  fflush (stdout);
  char line[128];
  while (fgets (line, sizeof (line), stdin))
    {
      if (!strncmp (line, "down", 4))
	rd_kafka_mock_broker_set_down (mc, 1);
      else if (!strncmp (line, "up", 2))
	rd_kafka_mock_broker_set_up (mc, 1);
      else if (!strncmp (line, "rtt ", 4))
	rd_kafka_mock_broker_set_rtt (mc, 1, atoi (line + 4));
      else if (!strncmp (line, "refuse ", 7))
	for (int n = atoi (line + 7); n > 0; n--)
	  rd_kafka_mock_push_request_errors (
	    mc, 0 /* Produce */, 1,
	    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
      else
	{
	  printf ("unknown command\n");
	  fflush (stdout);
	  continue;
	}
      printf ("ok\n");
      fflush (stdout);
    }
  rd_kafka_mock_cluster_destroy (mc);
  rd_kafka_destroy (rk);
  return 0;
}

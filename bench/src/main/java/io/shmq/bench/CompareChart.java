package io.shmq.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The PNG of {@code compare}: messages/s against message size, both axes logarithmic, one colour per system; the
 * steady rate solid, the whole run (cold start included) dashed. Drawn headless.
 */
final class CompareChart {
    private static final Color[] COLOURS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};

    private CompareChart() {
    }

    static void draw(final List<CompareRun.Row> rows, final String header, final Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        final Map<String, XYSeries[]> series = new LinkedHashMap<>();
        for (final CompareRun.Row row : rows) {
            if (row.kase().pattern().equals(CompareRun.REQ_REP)) {
                continue;
            }
            final String system = row.kase().system();
            final XYSeries[] pair = series.computeIfAbsent(system, s -> new XYSeries[] {
                new XYSeries(s + " steady"), new XYSeries(s + " whole run")});
            if (row.get("steady") > 0) {
                pair[0].add(row.kase().size(), row.get("steady"));
            }
            if (row.get("whole") > 0) {
                pair[1].add(row.kase().size(), row.get("whole"));
            }
        }
        final XYSeriesCollection data = new XYSeriesCollection();
        final XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        int index = 0;
        int colour = 0;
        for (final XYSeries[] pair : series.values()) {
            for (int i = 0; i < 2; i++) {
                if (pair[i].getItemCount() == 0) {
                    continue;
                }
                data.addSeries(pair[i]);
                renderer.setSeriesPaint(index, COLOURS[colour % COLOURS.length]);
                renderer.setSeriesStroke(index, i == 0 ? new BasicStroke(2.5f)
                        : new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[] {6f, 4f}, 0f));
                index++;
            }
            colour++;
        }
        final JFreeChart chart = ChartFactory.createXYLineChart("shmq bench compare: rate against message size",
                "message size (bytes)", "messages/s", data, PlotOrientation.VERTICAL, true, false, false);
        final XYPlot plot = chart.getXYPlot();
        final LogAxis sizes = new LogAxis("message size (log scale)");
        sizes.setBase(2);
        sizes.setSmallestValue(32);
        sizes.setTickUnit(new NumberTickUnit(2)); // a tick every factor 4: 64 B, 256 B, 1 KiB ...
        sizes.setNumberFormatOverride(new Labels(true));
        sizes.setMinorTickMarksVisible(false);
        final LogAxis rates = new LogAxis("messages/s (log scale)");
        rates.setSmallestValue(1);
        rates.setTickUnit(new NumberTickUnit(1)); // a tick every decade
        rates.setNumberFormatOverride(new Labels(false));
        plot.setDomainAxis(sizes);
        plot.setRangeAxis(rates);
        plot.setRenderer(renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        chart.addSubtitle(new TextTitle(header, new Font(Font.SANS_SERIF, Font.PLAIN, 11)));
        chart.addSubtitle(new TextTitle(roundTrips(rows) + "   solid: steady state, dashed: whole run",
                new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1200, 750);
    }

    /** Tick labels: sizes as 64 B / 4 KiB / 16 MiB, rates as 1 k / 10 M. */
    private static final class Labels extends NumberFormat {
        private final boolean bytes;

        Labels(final boolean bytes) {
            this.bytes = bytes;
        }

        @Override
        public StringBuffer format(final double number, final StringBuffer to, final FieldPosition position) {
            final long value = Math.round(number);
            if (bytes) {
                return to.append(SocketRun.human(value));
            }
            if (value >= 1_000_000) {
                return to.append(value / 1_000_000).append(" M");
            }
            return value >= 1000 ? to.append(value / 1000).append(" k") : to.append(value);
        }

        @Override
        public StringBuffer format(final long number, final StringBuffer to, final FieldPosition position) {
            return format((double) number, to, position);
        }

        @Override
        public Number parse(final String source, final ParsePosition position) {
            throw new UnsupportedOperationException("labels are only written");
        }
    }

    private static String roundTrips(final List<CompareRun.Row> rows) {
        final StringBuilder text = new StringBuilder("req/rep 64 B RTT p50 / p99:");
        for (final CompareRun.Row row : rows) {
            if (row.kase().pattern().equals(CompareRun.REQ_REP)) {
                text.append(String.format(Locale.ROOT, "  %s %,.0f / %,.0f ns", row.kase().system(), row.get("p50"),
                        row.get("p99")));
            }
        }
        return text.toString();
    }
}

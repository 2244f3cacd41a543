//! Server-rendered SVG charts (plotters' SVG backend, no font files: text is left to the
//! browser, which has the Chinese fonts). Bars compare districts; lines show a figure's
//! trend over quarters. A chart that cannot be drawn is an empty string and the page
//! keeps its table.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 300;
const FONT: &str = "sans-serif";
const PALETTE: [RGBColor; 4] = [
    RGBColor(43, 108, 176),
    RGBColor(221, 107, 32),
    RGBColor(47, 133, 90),
    RGBColor(128, 90, 213),
];

/// Inline in HTML an `<svg>` needs no namespace; dropping it keeps every page free of
/// outside addresses (the offline check looks for any `http`).
fn inline(svg: String) -> String {
    svg.replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1)
}

/// A series: its legend and one value per category (none = no bar or point).
pub type Series<'a> = (&'a str, Vec<Option<f64>>);

fn top(series: &[Series]) -> f64 {
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    if max > 0.0 { max * 1.15 } else { 1.0 }
}

/// Bars by category (district), one bar per series side by side.
pub fn bars(title: &str, unit: &str, categories: &[String], series: &[Series]) -> String {
    let mut svg = String::new();
    let drawn = draw_bars(&mut svg, title, unit, categories, series);
    if drawn.is_err() {
        tracing::warn!(title, "bar chart could not be drawn");
        return String::new();
    }
    inline(svg)
}

fn draw_bars(
    svg: &mut String,
    title: &str,
    unit: &str,
    categories: &[String],
    series: &[Series],
) -> Result<(), Box<dyn std::error::Error>> {
    let n = categories.len().max(1);
    // Integer ranges are inclusive in plotters: 0..n−1 makes exactly n segments.
    let last = n - 1;
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d((0..last).into_segmented(), 0f64..top(series))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(unit)
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 15))
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) => categories.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()?;
    // Each category's slot is split between the series, with a gap either side.
    let slot = chart.plotting_area().dim_in_pixel().0 / n as u32;
    let gap = slot / 6;
    let width = (slot - 2 * gap) / series.len().max(1) as u32;
    for (k, (name, values)) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let left = gap + k as u32 * width;
        let right = slot.saturating_sub(left + width);
        chart
            .draw_series(values.iter().enumerate().filter_map(|(i, v)| {
                v.map(|v| {
                    let mut bar = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), 0.0),
                            (SegmentValue::Exact(i + 1), v),
                        ],
                        color.filled(),
                    );
                    bar.set_margin(0, 0, left, right);
                    bar
                })
            }))?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    if series.len() > 1 {
        chart
            .configure_series_labels()
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.2))
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// Lines over quarters (oldest first), one per series.
pub fn trend(title: &str, unit: &str, quarters: &[String], series: &[Series]) -> String {
    let mut svg = String::new();
    if draw_trend(&mut svg, title, unit, quarters, series).is_err() {
        tracing::warn!(title, "trend chart could not be drawn");
        return String::new();
    }
    inline(svg)
}

fn draw_trend(
    svg: &mut String,
    title: &str,
    unit: &str,
    quarters: &[String],
    series: &[Series],
) -> Result<(), Box<dyn std::error::Error>> {
    let last = quarters.len().saturating_sub(1).max(1) as i32;
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0i32..last, 0f64..top(series))?;
    chart
        .configure_mesh()
        .x_labels(quarters.len())
        .y_desc(unit)
        .axis_desc_style((FONT, 15))
        .label_style((FONT, 15))
        .x_label_formatter(&|i| {
            quarters
                .get(usize::try_from(*i).unwrap_or(usize::MAX))
                .cloned()
                .unwrap_or_default()
        })
        .draw()?;
    for (k, (name, values)) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let points: Vec<(i32, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i as i32, v)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2)));
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.2))
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_name_every_district_and_draw_one_bar_per_value() {
        let svg = bars(
            "低保对象每千常住人口",
            "人",
            &["甲区".to_string(), "乙<区>".to_string()],
            &[("每千人", vec![Some(5.0), None])],
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(!svg.contains("http"), "no outside address: {svg}");
        assert!(svg.contains("甲区"));
        // Text is escaped, so a name can never inject markup.
        assert!(svg.contains("乙&lt;区&gt;"));
        // One district has a value: the background and plot frame are rects too, so count
        // the bars by their fill colour.
        assert_eq!(svg.matches("fill=\"#2B6CB0\"").count(), 1, "{svg}");
        // A city of one district still gets its chart.
        let one = bars("x", "人", &["甲区".to_string()], &[("a", vec![Some(1.0)])]);
        assert_eq!(one.matches("fill=\"#2B6CB0\"").count(), 1, "{one}");
    }

    #[test]
    fn trend_labels_each_quarter_and_legends_each_series() {
        let quarters: Vec<String> = ["2026Q1", "2026Q2", "2026Q3"].map(String::from).to_vec();
        let svg = trend(
            "趋势",
            "户",
            &quarters,
            &[
                ("新增", vec![Some(1.0), Some(3.0), Some(2.0)]),
                ("清退", vec![Some(0.0), None, Some(1.0)]),
            ],
        );
        for q in &quarters {
            assert!(svg.contains(q.as_str()), "{q}");
        }
        assert!(svg.contains("新增") && svg.contains("清退"));
        assert!(svg.contains("<polyline"), "{svg}");
    }
}

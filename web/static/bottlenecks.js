// Draw the bottleneck charts with ECharts (served from /static/vendor) from the page's JSON data;
// the tables below them carry the same numbers for printing and for readers without JavaScript.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("chart-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const draw = (id, rows) => {
    const container = document.getElementById(id);
    if (!container || rows.length === 0) return;
    container.style.height = `${Math.max(160, 32 * rows.length + 60)}px`;
    const names = rows.map((row) => row[0]).reverse();
    const chart = window.echarts.init(container, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: [data.labels.waiting, data.labels.overdue] },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: names },
      series: [
        { name: data.labels.waiting, type: "bar", data: rows.map((row) => row[1]).reverse(), itemStyle: { color: "#b71c1c" } },
        { name: data.labels.overdue, type: "bar", data: rows.map((row) => row[2]).reverse(), itemStyle: { color: "#f9a825" } },
      ],
    });
    container.dataset.state = "drawn";
  };
  draw("chart-steps", data.steps);
  draw("chart-units", data.units);
});

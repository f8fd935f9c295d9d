// The modeler's own texts in Chinese (bpmn-js palette, context pad, replace menu, properties panel)
// when the page is Chinese; texts not listed stay in English.
const ZH = {
  "Activate create/remove space tool": "插入/删除空白区域", "Activate global connect tool": "连线工具",
  "Activate hand tool": "抓手工具（拖动画布）", "Activate lasso tool": "框选工具", "Add lane above": "在上方添加泳道",
  "Add lane below": "在下方添加泳道", "Add text annotation": "添加注释", "Append end event": "追加结束事件",
  "Append gateway": "追加网关", "Append intermediate/boundary event": "追加中间/边界事件", "Append task": "追加任务",
  "Append timer intermediate catch event": "追加定时事件", "Append receive task": "追加接收任务",
  "Append compensation activity": "追加补偿活动", "Append conditional intermediate catch event": "追加条件事件",
  "Append message intermediate catch event": "追加消息事件", "Append signal intermediate catch event": "追加信号事件",
  "Open minimap": "打开缩略图", "Close minimap": "关闭缩略图", "Collaboration": "协作", "User Task": "用户任务",
  "Change element": "更改元素类型", "Change type": "更改类型", "Connect to other element": "连接到其他元素",
  "Connect using association": "用关联连接", "Connect using data input association": "用数据输入关联连接",
  "Create data object reference": "创建数据对象", "Create data store reference": "创建数据存储",
  "Create end event": "创建结束事件", "Create expanded sub-process": "创建展开的子流程", "Create gateway": "创建网关",
  "Create group": "创建分组", "Create intermediate/boundary event": "创建中间/边界事件", "Create pool/participant": "创建池/参与者",
  "Create start event": "创建开始事件", "Create task": "创建任务", "Delete": "删除", "Divide into three lanes": "分为三条泳道",
  "Divide into two lanes": "分为两条泳道", "Remove": "移除", "Search in diagram": "在图中查找",
  "Task": "任务", "User task": "用户任务", "Manual task": "手工任务", "Script task": "脚本任务", "Service task": "服务任务",
  "Business rule task": "业务规则任务", "Call activity": "调用活动", "Sub-process (collapsed)": "子流程（折叠）",
  "Sub-process (expanded)": "子流程（展开）", "Start event": "开始事件", "End event": "结束事件",
  "Exclusive gateway": "排他网关", "Parallel gateway": "并行网关", "Inclusive gateway": "包容网关",
  "Event-based gateway": "事件网关", "Timer start event": "定时开始事件", "Timer intermediate catch event": "定时中间事件",
  "Timer boundary event": "定时边界事件", "Timer boundary event (non-interrupting)": "定时边界事件（不中断）",
  "Message start event": "消息开始事件", "Terminate end event": "终止结束事件", "Loop": "循环",
  "Parallel multi-instance": "并行多实例", "Sequential multi-instance": "串行多实例",
  "General": "常规", "Name": "名称", "ID": "标识（ID）", "Documentation": "说明", "Element documentation": "元素说明",
  "Process documentation": "流程说明", "Executable": "可执行", "Version tag": "版本标签", "Process": "流程",
  "Process name": "流程名称", "Process ID": "流程标识", "Timer": "定时", "Condition": "条件", "Script": "脚本",
  "Multi-instance": "多实例", "Loop cardinality": "循环次数", "Completion condition": "完成条件",
  "Collection": "集合", "Element variable": "元素变量", "Extension properties": "扩展属性",
  "Platform conventions": "本平台约定", "Role": "办理角色", "Scope": "范围（单位）", "Assignee": "指定办理人",
  "Form": "表单", "Due date": "办理时限", "Milestone": "节点（里程碑）", "Called process": "调用的流程",
  "DMN decision": "决策表（DMN）",
  "Who handles the step (applicant, unit_leader, county_org, city_org, panel, supervisor); default: the lane.":
    "由谁办理（applicant 申报人、unit_leader 分管领导、county_org 县区委组织部、city_org 市委组织部、panel 专家、supervisor 督查）；默认取所在泳道。",
  "Expression giving the unit whose holders of the role may take it; default: the project's unit.":
    "给出单位代码的表达式，该单位中具有此角色的人员可以办理；默认为项目申报单位。",
  "Expression giving the one user who handles it (e.g. responsible_person).": "给出唯一办理人的表达式（如 responsible_person）。",
  "The JSON-Schema form file the user fills in (e.g. city_review.json).": "办理人填写的 JSON-Schema 表单文件（如 city_review.json）。",
  "Expression giving the deadline: a date, or workdays(5) from the step's start.": "给出办理期限的表达式：日期，或 workdays(5)（自环节开始起 5 个工作日）。",
  "Key of the project milestone reached when this step completes (e.g. approved).": "本环节完成时达到的项目节点标识（如 approved）。",
  "Python run in the sandbox; it reads and sets process data.": "在沙箱中运行的 Python 脚本，读取和设置流程数据。",
  "A Python expression on process data; the flow is taken when it is true.": "基于流程数据的 Python 表达式，为真时走此连线。",
  "A date (2008-06-30), a duration (P7D), a cycle (R4/P3M) or a Python expression giving one.":
    "日期（2008-06-30）、时长（P7D）、周期（R4/P3M），或给出其一的 Python 表达式。",
  "The id of the process this call activity runs.": "此调用活动运行的流程标识。",
  "The id of the decision table this task evaluates.": "此任务计算的决策表标识。",
  // the properties panel's header names the element's kind in title case (DEFAULT FLOW on screen)
  "Default Flow": "默认连线", "Conditional Flow": "条件连线", "Sequence Flow": "顺序连线",
  "Script Task": "脚本任务", "Service Task": "服务任务", "Manual Task": "手工任务", "Send Task": "发送任务",
  "Receive Task": "接收任务", "Business Rule Task": "业务规则任务", "Call Activity": "调用活动",
  "Start Event": "开始事件", "End Event": "结束事件", "Terminate End Event": "终止结束事件",
  "Timer Start Event": "定时开始事件", "Message Start Event": "消息开始事件", "Boundary Event": "边界事件",
  "Timer Boundary Event": "定时边界事件", "Timer Boundary Event (Non Interrupting)": "定时边界事件（不中断）",
  "Timer Intermediate Catch Event": "定时中间事件", "Intermediate Throw Event": "中间抛出事件",
  "Exclusive Gateway": "排他网关", "Parallel Gateway": "并行网关", "Inclusive Gateway": "包容网关",
  "Event Based Gateway": "事件网关", "Collapsed Sub Process": "子流程（折叠）", "Expanded Sub Process": "子流程（展开）",
  "Event Sub Process": "事件子流程", "Lane": "泳道", "Participant": "参与者（池）", "Text Annotation": "注释",
  "Group": "分组", "Data Object Reference": "数据对象", "Data Store Reference": "数据存储", "Association": "关联",
};

export function translateModule(language) {
  function translate(template, replacements) {
    const text = (language.startsWith("zh") && ZH[template]) || template;
    return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
  }
  return { translate: ["value", translate] };
}

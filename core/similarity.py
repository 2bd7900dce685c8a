"""How alike two requests' texts are, for the duplicate suggestions (grievances.duplicates).

Two reports are the same problem when they name the same trouble with the same thing at the
same place. Each text is read once into a `Profile` (deterministic, offline, pure Python), and a
pair of profiles gives a few signals that a logistic model, fitted on the development pairs,
turns into a score from 0 to 1 (`similarity`); `SAME_ABOVE` is the score from which a pair is
suggested. The signals:

1. Places. Building (3号楼, 3号, 3幢, 3栋, B座), lane (141弄) and room (502室, or a bare 3-4
   digit number such as 楼上602), read after NFKC (full-width digits become half-width) with
   Chinese numerals before a place word as digits (十二号楼 → 12号楼), a floor and a flat
   written apart as one room (15楼02室 → 1502), a dashed flat (8-1-402, 3-2单元) and an
   underground floor (负一层, 地下1层, B1) read as written out. A room named as the other
   party's (楼上601住户) is not the reporter's, though it says where the reporter lives
   (501): 601 against "501, 楼上601" is a clash, "楼上601漏水" against it is not; and a part
   both name and do not share counts as another building: a staircase (2单元), a gate (东门,
   后门, B口), a side (西侧, 南段, 东头, 北区, 东户), a floor (12楼), a village group (三组),
   a phase or section (二期, 一区), the front or back of a building (楼前, 楼后). For each
   kind: both texts name one and share it; both name one and share none.
2. Wording, general: the overlap of character unigrams, bigrams and trigrams (Chinese has no
   spaces; n-grams need no dictionary), each weighted by its rarity (inverse document
   frequency over the development texts, shipped in similarity_model.json), as a share of the
   smaller side and as a Dice coefficient; the place words and the hotline's set phrases
   ("市民反映", "诉求", "希望尽快处理") are removed first.
3. What is left unexplained: the rarity-weighted share of each text's characters covered
   neither by a bigram the other text has nor by a word of a facet both name (the larger and
   the smaller of the two shares). A short report with a word the other lacks ("电梯里有人小便"
   against "电梯坏了") is left with much unexplained.
4. Facets: the thing (lift, stairwell light, drain...) and the trouble (trapped, noise,
   inspection overdue, leaking...) from word groups written from how residents, clerks and the
   12345 hotline say them (FACETS below; 困人/被困/关在里面 is one trouble), each with a
   weight. Agreement on things and on troubles separately, whether either side names none, and
   a clash (both name a specific thing, or trouble, and share none); and the older combined
   agreement.
5. Negation on one side only (不/没/未/无: 灯不亮 against 灯白天也亮), and how unequal the
   lengths are.

The model's weights, the rarity table and `SAME_ABOVE` come from bench/fit_duplicates.py, which
reads the development pairs only (k-fold cross-validated: the threshold is the one that reaches
precision 0.9 with the most recall on pairs the model was not fitted on); bench/duplicates.py
prints the figures. `profile(text)` shows what was read from a text, `explain(a, b)` each signal
and its share of the score."""

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

MODEL_FILE = Path(__file__).with_name("similarity_model.json")

# The hotline's and the desk's set phrases: they say nothing about the problem.
BOILERPLATE = (
    "市民来电反映",
    "市民反映",
    "来电人反映",
    "来电人称",
    "来电反映",
    "居民反映",
    "走访记录",
    "反映",
    "诉求",
    "希望",
    "要求",
    "请求",
    "尽快",
    "相关部门",
    "有关部门",
    "处理",
    "解决",
    "问题",
    "情况",
    "现在",
    "目前",
    "一直",
    "已经",
    "还是",
    "我们",
    "这个",
)
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)

# Facets: (name, weight, is_trouble, words). Written from the kinds of request a street office
# receives per category. The words are alternatives found anywhere in the normalized text;
# the few with regular-expression syntax (a look-behind such as (?<!影)响) are searched as such.
FACETS = (
    # things
    ("lift", 2.0, False, r"电梯|电悌|轿厢|乘梯|梯内|维保|曳引|升降|客梯|货梯"),
    ("lift_install", 3.0, False, r"(?:加|新)装\w{0,2}电梯|加梯"),
    ("floor", 2.0, False, r"地板|底板|地砖"),
    ("corridor", 1.0, False, r"楼道|楼梯|走廊|过道|梯间|扶梯口|公共部位|楼梯口"),
    ("roof", 2.0, False, r"屋面|屋顶|天台|顶楼|楼顶|老虎窗|阁楼|亭子间|天窗"),
    ("outer_wall", 2.0, False, r"外墙|墙面|瓷砖|墙体|山墙|外立面"),
    ("ceiling", 1.5, False, r"天花板|吊顶|房顶|顶上|顶板|顶湿|顶棚|顶部"),
    ("bathroom", 2.0, False, r"卫生间|厕所|淋浴|马桶|浴室|浴缸|洗手间|坐便|洗脸盆|公厕"),
    ("kitchen", 2.0, False, r"厨房|水槽|灶|水池"),
    ("balcony", 2.0, False, r"阳台"),
    ("window", 1.5, False, r"窗"),
    ("yard", 3.0, False, r"院子|庭院|院墙|天井|院内|院里"),
    ("water_pipe", 2.0, False, r"水管|管道|管子|立管|接头|阀门|水表|龙头|管线|总阀|管道井"),
    ("water_supply", 2.0, False, r"自来水|供水|水箱|二次供水|水龙头|用水"),
    ("water_heater", 3.0, False, r"热水器"),
    (
        "drain",
        2.0,
        False,
        r"下水道|地漏|窨井|排水|化粪池|污水|雨水管|下水管|阴沟|马桶堵|雨水口|雨水斗|篦子|排水口|落水管|排污|雨水井|排水沟|明沟|下水|水沟|沟渠",
    ),
    ("septic", 3.0, False, r"化粪池|粪池|粪坑"),
    ("manhole", 3.0, False, r"井盖|盖板"),
    ("garage", 2.0, False, r"车库|地库|停车库"),
    ("street_light", 2.5, False, r"路灯|庭院灯|草坪灯|景观灯|灯杆"),
    ("stair_light", 2.5, False, r"楼道灯|感应灯|声控灯|楼梯灯|过道灯|楼道照明|楼梯照明"),
    ("light", 1.0, False, r"灯|照明|(?<!天)(?<!天没)(?<!天不)亮"),
    ("door_access", 2.5, False, r"门禁|单元门|防盗门|铁门|大门(?!口)|门锁|门卫|刷卡|楼道门|门磁|闭门器"),
    ("camera", 2.5, False, r"监控|摄像|探头"),
    (
        "car",
        2.0,
        False,
        r"汽车|私家车|轿车|车位|停车|(?<!非)机动车|面包车|货车|车子|开车|倒车|车辆|车主|挪车|小车|suv|出租车|网约车"
        r"|我车|我的车|我家车|油车|黑车|停满了?车|(?<![瓶动单行助轮托])车\w?[堵挡停被身漆玻窗砸]",
    ),
    ("ground_lock", 3.0, False, r"地锁|车位锁"),
    ("ebike", 3.0, False, r"电瓶车|电动车|电动自行车|助动车|电瓶|锂电池|电动三轮|非机动车"),
    ("bicycle", 2.5, False, r"(?<!电动)自行车|共享单车|单车|非机动车"),
    ("charging_post", 3.0, False, r"充电桩|充电站|充电柜|充电棚|充电设施|充电口|充电车位|充电位"),
    ("rubbish", 1.5, False, r"垃圾|烟头|塑料袋|饮料瓶|纸屑|果皮"),
    ("rubbish_room", 2.5, False, r"厢房|垃圾房|垃圾桶|垃圾箱|投放点|收集点|垃圾点|桶站"),
    ("transfer_station", 3.0, False, r"中转站|转运站|压缩站|垃圾站|清运站"),
    ("sorting", 2.0, False, r"分类|定时定点|投放时间|撤桶|破袋|分拣|督导|定时投放|值守"),
    ("bulky_waste", 3.0, False, r"大件|沙发|床垫|旧家具|废旧家具|席梦思|衣柜"),
    ("tree", 2.0, False, r"树|枝|绿化|草|花坛|灌木|绿地|绿植|香樟|梧桐|悬铃木|藤|竹"),
    ("dog", 3.0, False, r"狗|犬|吠|遛狗"),
    ("cat", 3.0, False, r"猫"),
    ("bird", 3.0, False, r"鸟|鹦鹉|鸽|八哥|画眉"),
    ("poultry", 3.0, False, r"鸡|鸭|鹅|禽|打鸣"),
    ("basement", 2.5, False, r"地下室|地下层|半地下|地下通道"),
    ("school", 3.0, False, r"学校|小学|中学|幼儿园|校门|放学|上学|操场"),
    ("clinic", 3.0, False, r"医院|卫生院|诊所|卫生服务中心"),
    ("village_office", 3.0, False, r"村委会|村委|村部"),
    ("bar", 3.0, False, r"酒吧|夜店|清吧|酒馆"),
    ("river", 3.0, False, r"河道|河里|河面|河边|小河|河浜|河沟|池塘|水塘|河上|湖面|河水"),
    ("underpass", 3.0, False, r"桥洞|涵洞|地道|下穿|隧道|立交"),
    ("bus_stop", 3.0, False, r"公交站|站台|公交车站|车站"),
    ("crop_drying", 3.0, False, r"晒谷|晒稻|晒粮|晒麦|稻谷|稻子|粮食"),
    ("fireworks", 3.0, False, r"鞭炮|放炮|烟花|炮仗|爆竹|礼炮"),
    ("ceremony", 3.0, False, r"白事|丧事|红白喜事|喜事|婚礼|酒席|丧葬|灵堂"),
    ("appliance", 3.0, False, r"冰箱|洗衣机|电视机|冰柜|家电|冷柜|压缩机"),
    ("food_stall", 3.0, False, r"夜宵|排档|烧烤|小吃|早点摊|摊点"),
    ("canteen", 3.0, False, r"食堂|助餐点|老年餐|饭菜|菜品"),
    ("paperwork", 3.0, False, r"证明|办理|咨询|户口|居住证|盖章|补贴|申领|低保|社保|医保"),
    ("delivery", 3.0, False, r"快递|外卖|驿站|取件"),
    ("electrical", 3.0, False, r"电线|线路|老化|火花|打火|短路|跳闸|电表|配电箱|插座"),
    ("elderly_alone", 3.0, False, r"独居|孤老|空巢|孤寡|一个人住|独自居住|一人居住|独自生活"),
    ("heating", 3.0, False, r"暖气|供暖|供热|地暖"),
    ("motor_noise", 3.0, False, r"摩托|飙车|油门|排气|改装车|鸣笛"),
    ("road_surface", 3.0, False, r"减速带|路面|坑|不平|拱起|隆起|翘起"),
    ("sidewalk", 3.0, False, r"人行道|盲道|步行道"),
    ("inside_estate", 3.0, False, r"小区里面|小区内部|内部道路|小区内道路|主干道|小区里的路|主路|(?:园|苑)里(?:面|头)"),
    (
        "outside_estate",
        3.0,
        False,
        r"小区外|外面马路|外侧马路|外侧道路|外面的马路|外面那条路|门口马路|市政道路|马路两边|马路上|马路边|外面路上|门外|外环路",
    ),
    ("barrier", 3.0, False, r"道闸|挡车杆|门岗|岗亭|车牌"),
    ("phone_signal", 3.0, False, r"手机信号|信号弱|没信号|信号差|移动信号|信号不好|基站"),
    ("pesticide", 3.0, False, r"农药|打药|喷药|杀虫剂|除草剂"),
    ("gas", 3.0, False, r"煤气|燃气|天然气|液化气|漏气|煤气罐|液化石油气|钢瓶"),
    ("stray_animal", 3.0, False, r"流浪猫|流浪狗|野猫|野狗"),
    ("shared_room", 2.0, False, r"合用|公用|共用|共一个|合一个"),
    (
        "play_fitness",
        3.0,
        False,
        r"健身器材|健身设施|滑梯|秋千|篮球场|游乐|单杠|双杠|健身区|健身器|漫步机|扭腰器|健身路径",
    ),
    ("public_facility", 3.0, False, r"座椅|长椅|凉亭|信报箱|信箱|宣传栏"),
    ("cables", 3.0, False, r"网线|光纤|宽带|有线电视|通信线|弱电"),
    ("bike_shed", 2.5, False, r"车棚|非机动车库"),
    ("construction_waste", 3.0, False, r"建筑垃圾|装修垃圾|渣土|碎砖|黄沙|水泥|建材|砖头|砖块|沙石|砂石"),
    ("wall", 1.5, False, r"墙"),
    ("ventilation", 3.0, False, r"风扇|通风|排风扇|换气"),
    ("handwash", 3.0, False, r"洗手"),
    ("recyclables", 3.0, False, r"可回收|回收物|废纸|塑料瓶|纸箱|纸板"),
    ("wet_waste", 3.0, False, r"湿垃圾|厨余|剩饭|剩菜"),
    ("hazardous_waste", 3.0, False, r"有害垃圾|废电池|灯管|过期药"),
    ("pram", 3.0, False, r"婴儿车|婴儿推车|童车|推车"),
    ("roof_door", 3.0, False, r"楼顶门|楼顶的门|屋面的门|通往屋面|通往楼顶|天台门|上天台"),
    ("burning", 2.0, False, r"焚烧|明火|点火|烧东西"),
    ("aircon", 3.0, False, r"空调|外机|冷凝水|室外机|挂机"),
    ("cooking_smoke", 3.0, False, r"油烟|烧烤|排烟|烟道|油烟机|炒菜"),
    ("cigarette", 3.0, False, r"抽烟|吸烟|烟头|烟味|禁烟|二手烟|香烟"),
    (
        "fire_kit",
        2.5,
        False,
        r"消防栓|消火栓|消防箱|灭火器|烟感|水带|喷淋|消防管|消防水管|消防水箱|消防泵|消防水池",
    ),
    ("fire_lane", 3.0, False, r"消防通道|消防车道|生命通道|安全出口|疏散通道|逃生通道"),
    (
        "shop",
        2.0,
        False,
        r"店|商铺|饭店|餐馆|饭馆|餐厅|酒楼|门面|超市|菜场|市场|摊位|摆摊|摊贩|地摊|流动摊|叫卖|商户|餐饮|卖菜|卖水果",
    ),
    ("square_dance", 3.0, False, r"广场舞|跳舞|健身操|腰鼓|锣鼓|舞"),
    ("loudspeaker", 3.0, False, r"音响|音箱|扩音|喇叭|外放|循环播放|广播"),
    ("screen", 3.0, False, r"大屏|显示屏|电子屏|广告屏|屏幕|led"),
    ("sign", 3.0, False, r"灯牌|招牌|灯箱|广告牌|店招"),
    ("renovation", 2.5, False, r"装修|电钻|冲击钻|开钻|敲墙|砸墙|敲敲打打|装潢|切割机"),
    ("site_work", 3.0, False, r"工地|施工|打桩|搅拌|挖掘|基坑|塔吊|渣土车|围挡|工程车"),
    (
        "music_game",
        3.0,
        False,
        r"麻将|棋牌|钢琴|弹琴|练琴|乐器|唱歌|唱k|卡拉ok|ktv|小号|二胡|唱戏|戏曲|越剧|京剧|萨克斯|音乐|鼓",
    ),
    ("footsteps", 3.0, False, r"跺|走路声|高跟鞋|弹珠|跑跳|蹦|跳绳|脚步声|跑来跑去|走来走去|拍球"),
    (
        "dragging",
        3.0,
        False,
        r"拖椅子|拖拽|拖家具|拖凳子|拖桌子|拖动|拖桌椅|挪家具|挪椅子|拉椅子|挪桌子|拖东西|移动家具",
    ),
    ("washer", 3.0, False, r"洗衣机|脱水|甩干"),
    ("pump", 3.0, False, r"水泵|泵房|增压泵"),
    ("transformer", 3.0, False, r"变压器|配电房|配电间|箱变|变电站|变电箱"),
    ("machinery", 3.0, False, r"风机|冷却塔|机组|电机|机房"),
    ("rubbish_truck", 3.0, False, r"垃圾车|清运车|收垃圾的车|环卫车"),
    ("unloading", 3.0, False, r"卸货|装卸|进货"),
    ("handrail", 3.0, False, r"扶手|栏杆|台阶|踏步"),
    ("laundry", 3.0, False, r"晾|晒被|晒衣|衣服|被子"),
    ("ads", 3.0, False, r"小广告|广告|涂写|张贴|牛皮癣|贴纸|喷涂|小卡片"),
    ("rental", 3.0, False, r"二房东|租客|房东|出租|租户|租房"),
    ("family", 3.0, False, r"赡养|遗产|继承|子女|儿子|女儿(?!墙)|兄弟|姐妹|老伴|房产证|遗嘱|分房"),
    ("property_co", 1.0, False, r"物业|业委会|业主大会|保安|管理处"),
    (
        "fee",
        3.0,
        False,
        r"费|租金|月租|收钱|\d+元|分摊|摊派|每户摊|每家收|每户|缴|收取|退钱|乱收|账目|价格|定价|多收|发票|几百|几千|块钱",
    ),
    ("property_fee", 3.0, False, r"物业费|(?<!停车)管理费|物管费"),
    ("parking_fee", 3.0, False, r"停车费|车位费|停车收费|停车管理费|车位租金"),
    ("lift_fee", 3.0, False, r"电梯费|电梯使用费|电梯运行费"),
    ("utility_fee", 3.0, False, r"水费|电费|燃气费|煤气费|水电费|水电煤"),
    ("repair_fund", 3.0, False, r"维修基金|维修资金|专项维修"),
    # troubles
    ("left_open", 3.0, True, r"开着|没关|未关|未上锁|没锁|不锁|关不上|敞开|不关|抬着|不落杆"),
    ("locked", 3.0, True, r"锁了|锁起来|(?<![未没不])上锁|锁住|锁死|锁掉"),
    (
        "parking_shortage",
        3.0,
        True,
        r"车位太少|停车难|车位不足|没地方停|无处停|没车位|车位紧张|抢车位|车位少|车位不够|不够停|停不下"
        r"|车位\w{0,4}(?:不足|不够|太少|紧张)|增设车位|增加车位|抢\w{0,4}车位|无车位|没有车位|只卖不租|只售不租",
    ),
    ("moved_away", 3.0, True, r"撤掉|撤并|撤了|被撤|拆除|拆了|搬走了|被搬走|太远|很远|较远|走不动|远了"),
    ("opening_wall", 3.0, True, r"开窗|开了个窗|门洞|打通|凿|隐私|正对"),
    ("mounted_on_mine", 3.0, True, r"装在我家|装到我家|挂在我家|钉在我家|装在我们家|装我家"),
    ("privacy", 3.0, True, r"隐私|拍我|偷拍|正对"),
    ("price_rise", 3.0, True, r"涨价|提价|上涨|涨了|加价|涨到|涨至|上调|调高|调价"),
    ("overpriced", 3.0, True, r"贵|高于|太高|偏高"),
    ("unfair_charge", 3.0, True, r"乱收|多收|照收|照样收|还收|不合理|凭什么收|重复收|强制收"),
    ("cost_split", 3.0, True, r"每户摊|分摊|摊钱|摊派|每家收|每户出|每户收|均摊|按户|一起摊|平摊|摊\w?[钱费]"),
    ("abnormal_bill", 3.0, True, r"读数不对|读数异常|翻了一倍|翻倍|突然多了|暴涨|账单异常"),
    ("accounts", 3.0, True, r"不公开|账目|公示|明细|去向|干啥用|用在哪"),
    (
        "water_pressure",
        3.0,
        True,
        r"水压|压力不足|水流小|水很小|水太小|出水小|断断续续|没水|没有水|停水|断水|上不去|水给停了|把水停了|停了水|水被停了|水停了|水电\w{0,2}停|停\w{0,2}水电|一滴水?都没|无水",
    ),
    ("water_quality", 3.0, True, r"发黄|黄水|水是黄|黄的|浑浊|锈水|水\w{0,3}锈|铁锈|水质|沉淀|杂质"),
    ("crack", 3.0, True, r"裂缝|开裂|裂了|墙裂|震裂|碎了|破碎|碎裂|裂\w{0,2}缝|裂口"),
    ("power_cut", 3.0, True, r"停电|断电|跳闸|没电|水电\w{0,2}停|停\w{0,2}水电"),
    (
        "electric_fault",
        3.0,
        True,
        r"火花|打火|冒火|短路|冒烟|烧焦|焦味|焦糊|糊味|烧糊|漏电|触电|电线烧|过热|发烫|烧坏",
    ),
    ("charging", 3.0, True, r"飞线|拉线|充电(?!桩|站|柜|棚|设施|口|车位|位)|接线板|插线板|私拉电线"),
    (
        "ebike_indoors",
        3.0,
        True,
        r"推进电梯|推入电梯|推进楼|带上楼|推上楼|带回家|进电梯|推到楼道|推入楼道|停在楼道|放在楼道|楼道里充电",
    ),
    ("feeding", 3.0, True, r"喂|投喂|投食"),
    ("keeping_animals", 2.0, True, r"饲养|养鸡|养鸭|养鸽|养鹅|圈养|(?<![保培疗赡修])养[了的着]"),
    ("leash", 3.0, True, r"牵绳|拴绳|不拴|没拴|未拴|扑|咬|吓到|抓伤|抓人|挠伤"),
    ("pet_waste", 3.0, True, r"屎(?!水)|(?<!化)粪(?![池坑水])|便便|大便|便溺|小便|撒尿|尿尿"),
    ("elderly_help", 3.0, True, r"帮老人|代购|送餐|送饭|助餐|行动不便|腿脚不便|腿脚不好|做不动|助老|拎上楼|搀扶"),
    (
        "no_answer",
        3.0,
        True,
        r"没出门|没见到|联系不上|没动静|没露面|敲门没人|敲门不应|无人应答|没人应|敲门不开|没有出门",
    ),
    ("group_rental", 3.0, True, r"群租|隔断|隔成|住了十几|住十几|十几个人|十余人|合租|床位"),
    ("deposit", 3.0, True, r"押金|不退|退租|租金纠纷"),
    ("felling", 3.0, True, r"砍|伐|挖走"),
    ("leased_out", 3.0, True, r"租给|包月|对外出租|租了"),
    ("hot_air", 3.0, True, r"热风|吹风"),
    ("roots", 3.0, True, r"树根|根系"),
    ("burning_rubbish", 3.0, True, r"烧垃圾|烧树叶|烧落叶|烧废品|焚烧垃圾|烧杂物|烧塑料|烧轮胎|垃圾焚烧|烧秸秆"),
    ("offerings", 3.0, True, r"烧纸|纸钱|烧香|锡箔|冥币|祭祀|冥纸|元宝"),
    (
        "smoke",
        3.0,
        True,
        r"直排|往上冒|往上冲|飘进|飘入|飘到|熏到|熏入|油烟大|油烟太大|油烟很大|烟大|烟很大|烟太大|呛|烟雾|浓烟|冒烟",
    ),
    ("rodents", 3.0, True, r"老鼠|鼠"),
    ("insects", 3.0, True, r"蟑螂|苍蝇|蚊子|蚊虫|毛毛虫|白蚁|虫|蚂蚁|跳蚤|飞蛾"),
    ("hornets", 3.0, True, r"马蜂|黄蜂|蜂窝|蜂巢|胡蜂"),
    ("not_warm", 3.0, True, r"不热|不达标|温度低|室温低|冻得|太冷|不暖"),
    ("taste", 3.0, True, r"太咸|偏咸|太淡|难吃|不新鲜|口味|变质"),
    ("sagging", 3.0, True, r"下陷|凹陷|塌陷|有个坑|踩下去|陷下去|塌了|松动感"),
    (
        "trapped",
        3.0,
        True,
        r"困人|被困|困在|困住|关在里面|关在电梯|关在轿厢|出不来|有人在喊|人在里面|里面有人|救援|被关|关住"
        r"|困里面|关里面|困电梯",
    ),
    (
        "out_of_service",
        2.5,
        True,
        r"停运|停梯|停用|不能用|用不了|没法运行|坏了|坏掉|坏脱|故障|(?<!车)停了|不动了|不运行|不工作|损坏|停摆|瘫痪"
        r"|卡在|卡住|停在\d+[楼层]|停在负|停在顶层|停在半|没反应|坏的|破了|破损|(?:停|卡)\w{0,6}不动|停办|不办了",
    ),
    ("recurring", 2.0, True, r"反复|又坏|修好了又|三天两头|经常坏|老是坏|多次故障|屡修屡坏|总是坏|隔三差五"),
    (
        "no_repair",
        2.5,
        True,
        r"没人来修|没派人|没人修|不来修|迟迟不修|拖着不修|一直不修|没人维修|无人维修|还没修|未修(?!剪|枝)|没来修|不给修",
    ),
    ("not_in_use", 3.0, True, r"不给用|不让用|不开放|不启用|闲置|不投入使用|没投入使用|未投入使用|未启用|用不上"),
    ("shutdown_policy", 3.0, True, r"节能|省电|节省电费|关掉一部|停掉一部|关停一部|只开一部|只剩一部|只有一部"),
    ("shaking", 3.0, True, r"晃|抖|摇|震动|颠"),
    ("falling_car", 3.0, True, r"下坠|溜车|掉到\d+[楼层]|一下子掉|掉了一截|冲顶|蹲底|滑下去"),
    ("levelling", 3.0, True, r"平层|高差|高低差|跨一个台阶|跨十公分|停不平|一大步"),
    (
        "door_fault",
        2.5,
        True,
        r"(?<!阀)门关|关门|开合|开开关关|无法关闭|被门夹|夹到|夹了|防夹|门卡|门不开|开门|厅门|安全触板",
    ),
    (
        "button",
        3.0,
        True,
        r"按钮|按键|面板|(?:[楼层]|电梯|按)\w{0,3}不停|不停靠|停不下|按了没反应|显示错乱|乱跳|[停跑]到\d+[楼层]",
    ),
    ("inspection", 3.0, True, r"年检|合格证|检验标志|检验合格|使用标志|过期|检验|不合格|年审|超期"),
    (
        "alarm_call",
        3.0,
        True,
        r"应急通话|通话装置|紧急呼叫|报警|警铃|五方通话|对讲|呼叫|求助|应急电话|紧急电话|一键呼叫|sos",
    ),
    (
        "maintenance",
        2.5,
        True,
        r"保养|维保合同|维修合同|走过场|维保不到位|没人保养|维保\w{0,6}[没未空]|[没无不]\w{0,2}维保|维保记录",
    ),
    ("smell", 2.5, True, r"臭|腐|馊|异味|味道|尿|熏|骚|气味|味很大|味儿|难闻|刺鼻|腥|返味|反味|返臭|烟味|焦味|煤气味"),
    ("dirty", 1.0, True, r"黑水|屎水|粪水|脏|污|卫生|清洗|消毒|保洁|便溺|粪|臭水|打扫|清洁|油腻|积灰|灰尘|泥"),
    ("mud", 3.0, True, r"全是泥|泥浆|带泥|泥水|一地泥|满地泥|撒漏|全是浆|泥巴"),
    (
        "spill",
        3.0,
        True,
        r"洒一路|洒了一路|撒一路|撒了一路|漏了一路|滴洒|洒落|洒得|撒得|泼洒|沿路滴|渗滤液|汤水|汤汤水水",
    ),
    (
        "dumping",
        3.0,
        True,
        r"偷倒|(?<![树杆墙塔棚])倾倒|谁倒|倒了一堆|乱倒|倒在|倒到|拉来倒|乱扔|泼|扔进|扔到|丢进|扔了一地|乱丢|随手扔|遗弃|丢弃|被人倒|(?:扔|丢)在\w{0,3}(?:楼道|门口|路边|过道|走廊|楼梯)",
    ),
    ("scavenging", 3.0, True, r"捡废品|拾荒|翻垃圾|翻找|翻得|收废品"),
    ("assault", 3.0, True, r"打人|推搡|殴打|动手|被打|打伤|打起来|推我|推了我|推倒"),
    ("harassment", 3.0, True, r"辱骂|骚扰|威胁|恐吓|骂|字条|纸条|跟踪|报复|侮辱|泼油漆"),
    ("attitude", 3.0, True, r"态度|骂人|不耐烦|爱理不理|服务差"),
    ("management_change", 3.0, True, r"撤场|续签|招标|换物业|选聘|退出小区|交接"),
    ("election", 3.0, True, r"换届|选举|选票|投票|表决|业主大会"),
    (
        "passage_blocked",
        2.5,
        True,
        r"通道被|通道堵|阻塞|进不去|无法进入|难以进入|不能进入|无法进出|难以进出|出入困难|进出困难|影响通行|妨碍通行|路都窄了|推不出|(?:出口|门口|门前|楼道|过道)\w{0,6}堵|无法通行|通行困难|不能通行|推不过去|过不去|走不过去|走不了|停死|出不去|进不来|挡路|阻挡|阻碍|挡着路|挡道",
    ),
    ("denied_entry", 3.0, True, r"不[让给准许]\w{0,6}进|不让快递|拦着不让|不让外卖"),
    (
        "noise",
        2.5,
        True,
        r"(?<!争)吵(?!架|翻|起来|了好几)|噪|(?<!影)响|(?<!一)声(?!控)|扰民|睡不着|嗡嗡|咚咚|哐当|轰|(?<![呼这称])叫(?![人来做我他她你])|吹打|喧哗|喊|闹|吆喝|划拳|打鸣|鸣叫"
        r"|咣|哐|音量|电钻|冲击钻|开钻|打桩|切割机|敲敲打打|砸墙|敲墙",
    ),
    ("domestic", 3.0, True, r"家暴|摔东西|摔砸|砸东西|摔碗|打老婆|打孩子"),
    (
        "leak",
        2.5,
        True,
        r"渗|滴水|滴到|淌水|往下淌|水渍|湿(?!垃圾)|洇|(?<!一)滴|水印|返潮|(?<!地)漏|受潮|潮湿|进水|防水",
    ),
    ("mould", 1.5, True, r"霉|墙皮|起皮|掉皮|发黑|起鼓|长毛|脱皮"),
    ("burst", 3.0, True, r"爆|破裂|裂开|水管裂|管\w{0,3}破|破了个?洞"),
    ("waterproof", 2.5, True, r"防水"),
    (
        "flood",
        2.5,
        True,
        r"(?<!面)积水|淹|倒灌|漫|内涝|溢|冒\w?水|泡了|排不掉|一片汪洋|往外冒|往上冒|冒出来|冒了|成河|成了河|返水|反水|流\w{0,2}一地|流至|往外流",
    ),
    (
        "blocked",
        2.5,
        True,
        r"堵|(?<!打)不通(?!知)|淤塞|淤积|淤堵|塞死|塞住|下不去|排不出|反水|返水|冒出来|不畅|排水慢|下水慢",
    ),
    (
        "clutter",
        2.5,
        True,
        r"堆|杂物|乱放|放满|纸箱|旧家具|橱柜|(?:过道|楼道|走廊|通道|楼梯|门口)\w{0,3}全是|(?:过道|楼道|走廊|通道|楼梯|门口)\w{0,3}都是|全是\w{0,3}东西|占用楼道|鞋柜|鞋架|柜子|花盆|囤|废品|旧物|放着|摆着|摆满|塞满|塞在",
    ),
    ("misplaced", 2.5, True, r"放在\w{0,4}(?:门口|楼道|过道|走廊)"),
    ("enclosed", 3.0, True, r"围起来|封起来|封闭|围了|围住|储藏|储物|隔出|当仓库|做仓库"),
    ("occupying", 2.0, True, r"占|挡|遮挡|堵住|出不去|进不来|霸|侵占"),
    (
        "bad_parking",
        2.5,
        True,
        r"(?<!梯)乱停|违停|乱放|停在(?!\d+[楼层]|顶|半|中间|底|负|地下)|(?:两侧|两边|路边|双排)\w{0,2}停|停放在|长期停放|一停就是|停\w{0,2}(?:盲道|人行道)|停满|横停|占道|违章停车|停车不规范|占用车道|被人停|无序停放",
    ),
    (
        "zombie_car",
        3.0,
        True,
        r"生锈|放了\w{0,2}年|僵尸车|落满灰|废弃|没人开|好几年没动|无主车|弃置|瘪了|没人要|无人认领|破车",
    ),
    (
        "parking_lock",
        3.0,
        True,
        r"私装|私自安装|私自装|装了地锁|车位被\w{0,10}占|占\w{0,3}车位|占位|石墩|锥桶|雪糕筒|地桩|私设|车位被占|占车位|占我车位|占了车位|车位被人|停我车位|占用车位|占着车位|车位\w{0,8}(?:被|(?<![不没])让)\w{0,4}停",
    ),
    ("outsiders_cars", 3.0, True, r"外来车|外面的车|外头的车|外地车|外头人|社会车辆|外来车辆|随便进|随意进出"),
    (
        "not_collected",
        2.5,
        True,
        r"(?<!停)满了|满溢|溢出|没人收|未清运|未及时|不清运|没人清|不及时|没收走|没人运|清运不|几天没|无人清运|没清运|爆满"
        r"|没人弄走|没人清理|无人清理|漫出来|没拉走|不来收|没来收|满出来|没清走|没运走|未清理|没人倒|不扫",
    ),
    (
        "mixed_sorting",
        3.0,
        True,
        r"混投|混装|混着|不分类|没分类|乱投|混在一起|干湿不分|垃圾不分|干的湿的|倒一个桶|一起扔|一起倒|没有分类|不按分类",
    ),
    (
        "schedule",
        3.0,
        True,
        r"赶不上|来不及|太早|时间太短|时间过短|时间短|延长|关得早|就关了|开放时间|关门早"
        r"|(?:晚上|夜间|夜里|点)(?:以后|之后|后|多)?就(?:停|关)",
    ),
    (
        "thrown_from_height",
        3.0,
        True,
        r"高空抛物|扔\w{0,4}下来|扔下|从高处|高处\w?扔|往下扔|窗外扔|抛|丢下来|从楼上扔|高空扔|楼上扔|往楼下扔",
    ),
    (
        "falling_object",
        3.0,
        True,
        r"倒伏|脱落|掉下来|掉下去|往下掉|刮倒|吹倒|[树杆墙塔棚]\w?倾倒|坠落|松动|松了|倒了|断了|歪|风吹|坠物|掉落|倾斜|摇摇欲坠|折断|掉了|断裂",
    ),
    (
        "blocks_light",
        3.0,
        True,
        r"挡光|挡住阳光|采光|晒不到|太阳(?!能)|白天\w{0,4}开灯|阴暗|挡住光线|见不到阳光|遮光|挡阳光",
    ),
    ("pruning", 2.5, True, r"修剪|剪枝|太高|太密|疯长|长得\w{0,6}高|伸进|修枝|伸到|枝杈|没人剪|剪草|割草"),
    ("dead_plant", 3.0, True, r"枯死|枯了|枯树|(?:树|草|苗|花)[都全也]?死(?:了|掉)|补种|枯萎|枯黄"),
    ("catkins", 3.0, True, r"飞絮|飞毛|毛絮|柳絮|杨絮|飘絮|球果|飘毛|毛毛(?!虫)|过敏"),
    ("planting", 3.0, True, r"种菜|毁绿|开荒|圈地|种了|私种|菜地|菜园"),
    ("trampled", 3.0, True, r"踩坏|踩死|压死|踩踏|压坏"),
    (
        "light_out",
        2.5,
        True,
        r"灯\w{0,2}(?:坏|损坏|故障)(?!\w{0,4}亮)|不亮|(?<![发乌])黑(?![水车色夜板])|(?<!不)灭(?!火)|暗|熄|没有灯|无照明|没灯|无路灯|没有路灯|没路灯",
    ),
    (
        "light_on",
        3.0,
        True,
        r"常亮|白天\w{0,4}亮|白天\w{0,4}开着|一直开着|持续开启|长明|不关|24小时亮|一直亮|不灭|整天亮|全天亮|整夜亮",
    ),
    ("flicker", 3.0, True, r"闪|忽明忽暗"),
    ("glare", 3.0, True, r"刺眼|太亮|照进|光污染|射灯|霓虹|晃眼|强光|直射|照得|亮度"),
    ("theft", 3.0, True, r"偷(?![倒排接])|(?<![磨水电])没了|盗|失窃|撬|被拿走|丢了|不见了|小偷|扒窃|丢失|顺走|缺失"),
    ("collision", 3.0, True, r"撞了|被撞|撞坏|撞到|肇事|逃逸|追尾"),
    ("scratch", 3.0, True, r"划了|划伤|刮花|剐蹭|划痕|刮擦|蹭了|被划"),
    ("fine", 3.0, True, r"罚单|贴条|罚款|被罚|抄牌"),
    ("compensation", 3.0, True, r"赔|索赔"),
    (
        "strangers",
        3.0,
        True,
        r"陌生人|不认识的人|翻墙|翻进|生面孔|转来转去|外来人员|推销|传单|闲杂人|可疑|尾随|不明人员|身份不明|乱窜|游荡|转悠|徘徊|踩点|鬼鬼祟祟|挨家挨户",
    ),
    ("fraud", 3.0, True, r"诈骗|骗|保健品|理财|讲座|上当|免费领|冒充|假冒"),
    ("posting", 3.0, True, r"贴了|贴满|张贴|乱贴|乱涂|涂写|喷涂|涂鸦|乱画|小广告|牛皮癣"),
    ("outside_shop", 3.0, True, r"货物占|堆货|摆货|出店经营|占道经营|摆到人行道|店外经营|跨门营业|摆到门外|摆在门口"),
    ("no_notice", 3.0, True, r"[未没不]\w{0,3}[告通]知|没有通知|不打招呼|没打招呼|事先未"),
    ("fire_risk", 1.0, True, r"火灾|着火|起火|隐患|消防"),
    (
        "quarrel",
        1.0,
        True,
        r"吵架|争吵|[跟和]\w{0,2}吵|吵了?好几|矛盾|纠纷|打架|调解|协调|协商|沟通未果|不讲理|骂|争执|冲突|扯皮|吵翻|吵起来",
    ),
    (
        "illegal_build",
        3.0,
        True,
        r"违建|违章|搭建|铁皮房|彩钢|搭了|乱搭|加盖|圈起来|围墙|阳光房|私搭|违法建筑|搭棚|扩建|雨棚|棚子",
    ),
    ("consent", 3.0, True, r"不同意|签字|不肯|反对|同意|不配合"),
    ("land", 3.0, True, r"宅基地|分家|地界|边界|划界"),
    ("elder_support", 3.0, True, r"赡养|养老费|生活费|不管老人|不管我|推诿"),
    ("receipt", 3.0, True, r"发票|收据|开票|票据"),
    ("stalled", 3.0, True, r"(?<!不)停工|烂尾|搞到一半|做到一半|干到一半|没完工|未完工|复工"),
    ("late_night", 0.5, True, r"半夜|凌晨|深夜|夜间|晚上|十点|十一点|\d+点|午休|中午"),
)


def _alternatives(pattern: str) -> list[str]:
    """The pattern's top-level alternatives (a | inside a group or a look-around stays)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(pattern):
        if char in "([" and (i == 0 or pattern[i - 1] != "\\"):
            depth += 1
        elif char in ")]" and pattern[i - 1] != "\\":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    return [*parts, pattern[start:]]


def _anchor(alternative: str) -> str | None:
    """A character every match of the pattern contains (None if none is plain to see)."""
    core = re.sub(r"\(\?<?[=!][^()]*\)", "", alternative)  # look-arounds
    core = re.sub(r"\([^()]*\)[?*]?|\[[^\]]*\][?*]?|\\[wdWDs](?:\{[^}]*\}|[+*?])?", "", core)
    plain = [c for i, c in enumerate(core) if "\u4e00" <= c <= "\u9fff" and core[i + 1 : i + 2] not in ("?", "*", "{")]
    return plain[0] if plain else None


def _split_terms() -> tuple[dict[str, frozenset[str]], tuple[tuple[str, re.Pattern, frozenset[str] | None], ...]]:
    """Each facet's plain words (looked up by substring, fast) apart from its few patterns, each
    with the characters one of which it needs (to skip searching a text that has none)."""
    words: dict[str, set[str]] = {}
    patterns = []
    for name, _weight, _trouble, pattern in FACETS:
        special = []
        for alternative in _alternatives(pattern):
            if re.search(r"[\\()\[\]?*+.^$]", alternative):
                special.append(alternative)
            else:
                words.setdefault(alternative, set()).add(name)
        if special:
            anchors = [_anchor(alternative) for alternative in special]
            needs = None if None in anchors else frozenset(anchors)
            patterns.append((name, re.compile("|".join(special)), needs))
    return {word: frozenset(names) for word, names in words.items()}, tuple(patterns)


_WORDS, _PATTERNS = _split_terms()
_LENGTHS: dict[str, tuple[int, ...]] = {}  # the lengths of the words starting with each character
for _word in _WORDS:
    _LENGTHS[_word[0]] = tuple(sorted({*_LENGTHS.get(_word[0], ()), len(_word)}))
_FACET_PATTERN = {name: re.compile(pattern) for name, _weight, _trouble, pattern in FACETS}

WEIGHT = {name: weight for name, weight, _trouble, _pattern in FACETS}
TROUBLE = {name for name, _weight, trouble, _pattern in FACETS if trouble}
SPECIFIC = 2.5  # a facet this heavy is specific: a clash needs specific facets on both sides
BLEND = 0.3  # how much of the larger side's extra facet weight counts against combined agreement
MIN_MASS = 3.0  # combined agreement on less facet weight than this is never complete
NEGATION = re.compile(r"不|没|未|无")

# Chinese numerals (up to 9999) before a place word, so 十二号楼 reads as 12号楼 (廿二号 as 22号,
# 三组 as 3组, 二期 as 2期).
_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千廿卅]+(?=号|弄|幢|栋|室|楼|层|座|单元|组|期|区)")
# A parking space's number (136号车位) is not a building's.
_BUILDING = re.compile(r"(\d+)(?:号楼|号(?!车位)|幢|栋|座)|([a-z])座")
_LANE = re.compile(r"(\d+)弄")
# A bare number of three or four digits is a room unless a unit follows (…元, …米, 15楼 a
# floor), but 902楼上 is the room 902's upstairs.
# A number dialled (拨打119) is no room; a parking space (136号车位) is the reporter's as a room is.
_ROOM = re.compile(
    r"(?<![\d打拨])(\d{3,4})室?(?![\d号弄幢栋座元米年块公个户次点时分斤平层多余组期区]|楼(?![上下])|天(?!花))"
    r"|(\d+)室|(\d{1,4})号车位"
)
# A room named as the other party's (楼上601住户, 隔壁是502): not where the reporter lives, but
# the one upstairs (楼上601) or downstairs (楼下401) says where that is (501).
_NEIGHBOUR_ROOM = re.compile(r"(楼上|楼下|隔壁|对门|邻居|邻户)(?:的|是|那家|那户|住户|邻居)?(\d{3,4})(?!\d)")
_STOREY = {"楼上": -100, "楼下": 100}
# A floor and a flat written apart (15楼02室) is the room 1502.
_FLOOR_ROOM = re.compile(r"(?<!\d)(\d{1,2})[楼层](\d{2})室")
# Within a building or an estate: the staircase (2单元), the gate (东门, 西侧人行门, 后门, 地铁站B口),
# the side (西侧绿化带, 东边那部电梯, 南段, 西头, 北区, 二楼东户, 东单元), the floor (12楼, 5层, 负一层,
# 地下2层 and B2 as 负2层; not 12号楼, nor 楼上, 楼道, 楼顶, nor 下坠约一层), the village group
# (三组), the estate's phase or section (二期, 一区) and the front or back of a building (楼前, 楼后).
_STAIRCASE = re.compile(r"(\d+)单元")
_GATE = re.compile(
    r"(?<![东西南北])([东西南北])[侧边]?(?:大门|侧门|小门|人行门|门|出入口)|([正前后])门|(?<![a-z])([a-z])(?:出入口|出口|口)"
)
_SIDE = re.compile(r"(?<![东西南北])([东西南北])(?:侧|边|面|段|头|区|户|单元|片)")
_FLOOR = re.compile(r"(?<![\d约近差隔过])(负)?(\d{1,2})[楼层](?![上下道梯房]|顶(?!板))")
_GROUP = re.compile(r"(?<!\d)(\d{1,2})组(?!织|成|建|合|团)")
_PHASE = re.compile(r"(?<!\d)(\d{1,2})[期区](?!间|域|别)")
_FRONT = re.compile(r"[楼栋幢]([前后])")
_ANY_PART = re.compile(r"[东西南北][侧边面段头区户片]|\d[楼层组期区]|[楼栋幢][前后]|[正前后]门|[a-z]出?口")
# An underground floor (负一层, 地下2层, B2) is read as 负N层 before the dashes go.
_UNDERGROUND = re.compile(r"(?:负|地下|(?<![a-z])b)(\d)(?![\d座])(?:层|楼)?")
# A flat written with dashes, building-staircase-room or building-room (8-1-402, 3-402), or a
# building and its staircase (3-2单元): read as 8号1单元402室 before the dashes go (not a date,
# nor a telephone number).
_DASHED = re.compile(r"(?<![\da-z-])(\d{1,3})-(?:(\d{1,2})-)?(\d{3,4})(?![\d-])")
_DASHED_STAIRCASE = re.compile(r"(?<![\da-z-])(\d{1,3})-(\d{1,2})(?=单元)")
# An estate's or a village's name may hold a facet's word (梧桐苑, 银杏苑, 槐树村): not read for facets.
_ESTATE = re.compile(r"\w{2}(?=苑|花园|家园|新村|山庄|村(?![民道委口里内小组部头子庄边上]))")
_PLACES = re.compile(r"\d+(?:号楼|号|幢|栋|座|弄|室)|[a-z]座|(?<!\d)\d{3,4}(?!\d)")


def _cn_to_digits(match: re.Match) -> str:
    numeral = match.group(0).replace("廿", "二十").replace("卅", "三十")
    if not any(char in _UNIT for char in numeral):  # read digit by digit: 五〇二 is 502
        return "".join(str(_DIGIT[char]) for char in numeral)
    total, current = 0, 0
    for char in numeral:
        if char in _DIGIT:
            current = _DIGIT[char]
        else:
            total += (current or 1) * _UNIT[char]
            current = 0
    return str(total + current)


def _gate(match: re.Match) -> str:
    """东西南北 for a gate named by its side, 前 or 后 (正门 is the front), or an exit's letter."""
    front = match.group(2)
    return match.group(1) or ("前" if front == "正" else front) or match.group(3)


_PART_KINDS = "ugsfvpa"  # the kinds of a part: staircase, gate, side, floor, village group, phase, front/back


class Profile(NamedTuple):
    """A text read once for comparing: its places, facets and wording."""

    buildings: frozenset[str]
    lanes: frozenset[str]
    rooms: frozenset[str]
    facets: frozenset[str]
    body: str  # the normalized text without its places: what the n-grams are taken from
    negated: bool
    others: frozenset[str]  # the rooms named as the other party's (楼上601住户)
    # The parts within a building or an estate: u2 for 2单元, g东 for 东门, s西 for 西侧, f12 for
    # 12楼, v3 for 三组, p2 for 二期, a前 for 楼前.
    parts: frozenset[str]
    # The facets split once here rather than on every comparison: (things, troubles), each
    # kind's specific ones, and the facets' whole weight.
    kinds: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    specific: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    mass: float = 0.0
    # For the quick score: each kind's weight, and the parts of each kind of "ugsf" (4 sets).
    kind_mass: tuple[float, float] = (0.0, 0.0)
    parts_by_kind: tuple[frozenset[str], ...] = ()
    # The reporter's own rooms: those not named as the other party's, and the one below an
    # upstairs (楼上601: 501) or above a downstairs named; all the rooms when none is.
    homes: frozenset[str] = frozenset()

    @property
    def grams(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """The character 1-, 2- and 3-grams of body (read when a signal needs them)."""
        return _grams(self.body)


def normalized(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _CN_NUMBER.sub(_cn_to_digits, text)
    if "负" in text or "地下" in text or "b" in text:
        text = _UNDERGROUND.sub(r"负\1层", text)
    if "-" in text:
        text = _DASHED.sub(lambda m: f"{m[1]}号{m[2] + '单元' if m[2] else ''}{m[3]}室", text)
        text = _DASHED_STAIRCASE.sub(r"\1号\2", text)
    if "室" in text:
        text = _FLOOR_ROOM.sub(r"\1\2室", text)
    for phrase in BOILERPLATE:
        text = text.replace(phrase, " ")
    return _NOT_TEXT.sub("", text)


def _grams_of(plain: str, n: int) -> frozenset[str]:
    if len(plain) < n:
        return frozenset([plain]) if plain else frozenset()
    return frozenset(plain[i : i + n] for i in range(len(plain) - n + 1))


@lru_cache(maxsize=4096)
def _grams(body: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    return _grams_of(body, 1), _grams_of(body, 2), _grams_of(body, 3)


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of the normalized text (the text itself when one character)."""
    return _grams_of(normalized(text), 2)


@lru_cache(maxsize=4096)
def profile(text: str) -> Profile:
    """Read a text for comparing (cached: the same open tickets are compared again and again)."""
    plain = normalized(text)
    buildings = frozenset(m.group(1) or m.group(2) for m in _BUILDING.finditer(plain))
    lanes = frozenset(m.group(1) for m in _LANE.finditer(plain))
    rooms = frozenset(m.group(1) or m.group(2) or m.group(3) for m in _ROOM.finditer(plain))
    others, homes = frozenset(), rooms
    if rooms:
        named = [(m.group(1), m.group(2)) for m in _NEIGHBOUR_ROOM.finditer(plain) if m.group(2) in rooms]
        others = frozenset(number for _, number in named)
        below = {str(int(number) + _STOREY[whose]) for whose, number in named if whose in _STOREY}
        homes = (rooms - others) | below or rooms
    parts = frozenset(
        [
            *("u" + m.group(1) for m in _STAIRCASE.finditer(plain)),
            *("g" + _gate(m) for m in _GATE.finditer(plain)),
            *("s" + m.group(1) for m in _SIDE.finditer(plain)),
            *("f" + (m.group(1) or "") + m.group(2) for m in _FLOOR.finditer(plain)),
            *("v" + m.group(1) for m in _GROUP.finditer(plain)),
            *("p" + m.group(1) for m in _PHASE.finditer(plain)),
            *("a" + m.group(1) for m in _FRONT.finditer(plain)),
        ]
        if "单元" in plain or "门" in plain or "出入口" in plain or _ANY_PART.search(plain)
        else ()
    )
    scan = _ESTATE.sub("", plain) if "苑" in plain or "园" in plain or "村" in plain or "庄" in plain else plain
    chars = set(scan)
    facets = {
        name
        for name, pattern, needs in _PATTERNS
        if (needs is None or not needs.isdisjoint(chars)) and pattern.search(scan)
    }
    for start, char in enumerate(scan):
        lengths = _LENGTHS.get(char)
        if lengths:
            for length in lengths:
                found = _WORDS.get(scan[start : start + length])
                if found:
                    facets |= found
    body = _PLACES.sub("", plain)
    kinds = (frozenset(facets - TROUBLE), frozenset(facets & TROUBLE))
    return Profile(
        buildings,
        lanes,
        rooms,
        frozenset(facets),
        body,
        bool(NEGATION.search(body)),
        others,
        parts,
        kinds,
        tuple(frozenset(f for f in kind if WEIGHT[f] >= SPECIFIC) for kind in kinds),
        _mass(facets),
        (_mass(kinds[0]), _mass(kinds[1])),
        tuple(frozenset(p for p in parts if p[0] == kind) for kind in _PART_KINDS),
        homes,
    )


# Rarity -----------------------------------------------------------------------------------


class Rarity:
    """Inverse document frequency of character n-grams over a set of texts: log((N+1)/(df+1)) + 1.

    An n-gram seen in fewer than two of the texts weighs as one never seen (the shipped table
    keeps only the others)."""

    def __init__(self, texts: int, frequencies: Mapping[str, int]):
        self.texts = texts
        self.frequencies = frequencies
        self.unseen = math.log(texts + 1) + 1

    @classmethod
    def of(cls, texts: Iterable[str]) -> "Rarity":
        seen: dict[str, int] = {}
        count = 0
        for text in texts:
            count += 1
            for grams in profile(text).grams:
                for gram in grams:
                    seen[gram] = seen.get(gram, 0) + 1
        return cls(count, {gram: df for gram, df in sorted(seen.items()) if df >= 2})

    @lru_cache(maxsize=65536)  # noqa: B019  (a handful of instances live as long as the process)
    def weight(self, gram: str) -> float:
        df = self.frequencies.get(gram)
        return self.unseen if df is None else math.log((self.texts + 1) / (df + 1)) + 1

    def mass(self, grams: Iterable[str]) -> float:
        return sum(self.weight(gram) for gram in grams)


# Signals ----------------------------------------------------------------------------------

FEATURES = (
    "building_same",
    "building_clash",
    "lane_same",
    "lane_clash",
    "room_same",
    "room_clash",
    "unigram_overlap",
    "unigram_dice",
    "bigram_overlap",
    "bigram_dice",
    "trigram_overlap",
    "trigram_dice",
    "unexplained_more",
    "unexplained_less",
    "thing_agreement",
    "thing_missing",
    "thing_clash",
    "trouble_agreement",
    "trouble_missing",
    "trouble_clash",
    "facet_agreement",
    "negation_one_side",
    "length_imbalance",
)
# The direction common sense gives each signal (+1 may only raise the score, -1 only lower it;
# unnamed: either). bench/fit_duplicates.py drops a signal whose fitted weight goes the other way.
DIRECTION = {
    **dict.fromkeys(("building_same", "lane_same", "room_same", "thing_agreement", "trouble_agreement"), 1),
    **dict.fromkeys(("unigram_overlap", "unigram_dice", "bigram_overlap", "bigram_dice"), 1),
    **dict.fromkeys(("trigram_overlap", "trigram_dice", "facet_agreement"), 1),
    **dict.fromkeys(("building_clash", "lane_clash", "room_clash", "thing_clash", "trouble_clash"), -1),
    **dict.fromkeys(("unexplained_more", "unexplained_less", "negation_one_side"), -1),
}


def _mass(facets) -> float:
    return sum(WEIGHT[f] for f in facets)


def _facet_agreement(first: Profile, second: Profile) -> float:
    """The weight the two share over the smaller side's (plus BLEND of the larger side's surplus)."""
    shared = _mass(first.facets & second.facets)
    smaller, larger = sorted((first.mass, second.mass))
    return min(shared / max(smaller + BLEND * (larger - smaller), MIN_MASS), 1.0)


def _overlap(mine: frozenset[str], theirs: frozenset[str], rarity: Rarity) -> tuple[float, float]:
    """The rarity-weighted shared n-grams over the smaller side, and their Dice coefficient."""
    if not mine or not theirs:
        return 0.0, 0.0
    shared = rarity.mass(mine & theirs)
    one, other = rarity.mass(mine), rarity.mass(theirs)
    return shared / min(one, other), 2 * shared / (one + other)


@lru_cache(maxsize=4096)
def _span(body: str, facet: str) -> frozenset[int]:
    """The characters of `body` that the facet's words cover."""
    return frozenset(i for m in _FACET_PATTERN[facet].finditer(body) for i in range(m.start(), m.end()))


def _unexplained(mine: Profile, theirs: Profile, rarity: Rarity) -> float:
    """The rarity-weighted share of `mine`'s characters in no bigram of `theirs` nor a shared facet's word."""
    body = mine.body
    if not body:
        return 1.0
    covered: set[int] = set()
    for i in range(len(body) - 1):
        if body[i : i + 2] in theirs.grams[1]:
            covered.update((i, i + 1))
    for facet in mine.facets & theirs.facets:
        covered |= _span(body, facet)
    total = sum(rarity.weight(char) for char in body)
    return sum(rarity.weight(char) for i, char in enumerate(body) if i not in covered) / total


def _parts_clash(first: Profile, second: Profile) -> bool:
    """Both name a staircase (or a gate, a side, a floor) and share none: 1单元 against 2单元,
    东门 against 西门, 东侧 against 西侧, 12楼 against 21楼, 三组 against 五组, 一期 against 二期."""
    if not first.parts or not second.parts:
        return False
    for mine, theirs in zip(first.parts_by_kind, second.parts_by_kind, strict=True):
        if mine and theirs and mine.isdisjoint(theirs):
            return True
    return False


def _rooms(first: Profile, second: Profile) -> tuple[bool, bool]:
    """Same room, room clash. A room named as the other party's (楼上601住户) is not the
    reporter's, but the one upstairs or downstairs says where the reporter lives (楼上602: 502):
    two texts are of one room when they share the reporter's ("楼上402漏水" and "302, 楼上402"),
    or name each other's (601 with 楼下501 against 501 with 楼上601); 601 against 501 whose
    upstairs 601 is a clash; and two texts that each name a room the other does not (502 and
    602 against 402 and 502) clash."""
    mine, theirs = first.rooms, second.rooms
    if not mine or not theirs:
        return False, False
    own, own_theirs = first.homes, second.homes
    same = bool(own & own_theirs) or bool(own & second.others and own_theirs & first.others)
    clash = not same or bool(mine - theirs and theirs - mine)
    return same and not clash, clash


def _places(first: Profile, second: Profile, rarity: Rarity) -> list[float]:
    parts_clash = _parts_clash(first, second)
    buildings = first.buildings & second.buildings
    building_clash = bool(first.buildings and second.buildings and not buildings) or parts_clash
    lanes = first.lanes & second.lanes
    lane_clash = bool(first.lanes and second.lanes and not lanes)
    room_same, room_clash = _rooms(first, second)
    return [
        float(bool(buildings) and not building_clash),
        float(building_clash),
        float(bool(lanes)),
        float(lane_clash),
        float(room_same),
        float(room_clash),
    ]


def _wording(first: Profile, second: Profile, rarity: Rarity) -> list[float]:
    return [value for n in range(3) for value in _overlap(first.grams[n], second.grams[n], rarity)]


def _unexplained_both(first: Profile, second: Profile, rarity: Rarity) -> list[float]:
    return sorted((_unexplained(first, second, rarity), _unexplained(second, first, rarity)), reverse=True)


def _facets(first: Profile, second: Profile, rarity: Rarity) -> list[float]:
    values = []
    for kind in (0, 1):  # things, then troubles
        mine, theirs = first.kinds[kind], second.kinds[kind]
        agreement = _mass(mine & theirs) / min(_mass(mine), _mass(theirs)) if mine and theirs else 0.0
        specific, specific_theirs = first.specific[kind], second.specific[kind]
        clash = bool(specific and specific_theirs and not specific & specific_theirs)
        values += [agreement, float(not mine or not theirs), float(clash)]
    both = first.facets and second.facets
    values.append(_facet_agreement(first, second) if both else 0.0)
    return values


def _rest(first: Profile, second: Profile, rarity: Rarity) -> list[float]:
    shorter, longer = sorted((len(first.body) + 1, len(second.body) + 1))
    imbalance = math.log(longer / shorter) ** 2
    return [float(first.negated != second.negated), imbalance]


# The signals in the order of FEATURES, by group: (group, how many, how computed).
_GROUPS = (
    ("places", 6, _places),
    ("wording", 6, _wording),
    ("unexplained", 2, _unexplained_both),
    ("facets", 7, _facets),
    ("rest", 2, _rest),
)


def features(
    first: Profile, second: Profile, rarity: Rarity | None = None, skip: frozenset[str] = frozenset()
) -> tuple[float, ...]:
    """The signals of a pair, in the order of FEATURES (symmetric in the two profiles); the
    groups named in `skip` are not computed and read 0 (the model gives them no weight)."""
    rarity = rarity or MODEL.rarity
    values: list[float] = []
    for group, count, compute in _GROUPS:
        values += [0.0] * count if group in skip else compute(first, second, rarity)
    return tuple(values)


# The model --------------------------------------------------------------------------------


class Model(NamedTuple):
    rarity: Rarity
    bias: float
    weights: tuple[float, ...]
    same_above: float
    unweighted: frozenset[str]  # the groups of signals the fit gave no weight: not computed
    terms: tuple[tuple[int, float], ...] = ()  # (index, weight) of the signals with a weight
    # Whether a pair sharing no facet can reach same_above (its facets' agreements are 0 then,
    # every other signal at most its highest), rounded as a suggestion's score is (rounding
    # only keeps or raises it): if not, such a pair need not be scored (may_be_same).
    apart_may_be_same: bool = True


def _logistic(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


# Signals that are 0 unless the two texts share a facet, and the one that can exceed 1.
_NEED_A_SHARED_FACET = frozenset({"thing_agreement", "trouble_agreement", "facet_agreement"})
_UNBOUNDED = frozenset({"length_imbalance"})


def load_model(path: Path = MODEL_FILE) -> Model | None:
    """The fitted model; None while the file is missing or was fitted on other signals (then
    bench/fit_duplicates.py, which writes it, must run before anything is compared)."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        return None
    weights = tuple(data["weights"])
    unweighted, start = set(), 0
    for group, count, _compute in _GROUPS:
        if not any(weights[start : start + count]):
            unweighted.add(group)
        start += count
    rarity = Rarity(data["texts"], data["frequencies"])
    terms = tuple((i, w) for i, w in enumerate(weights) if w)
    ceiling = data["bias"]
    for name, weight in zip(FEATURES, weights, strict=True):
        if weight > 0 and name not in _NEED_A_SHARED_FACET:
            ceiling += weight * (math.inf if name in _UNBOUNDED else 1.0)  # every other signal is 0 to 1
    reaches = round(round(_logistic(ceiling), 4), 2) >= data["same_above"]  # rounded as a suggestion's score
    return Model(rarity, data["bias"], weights, data["same_above"], frozenset(unweighted), terms, reaches)


MODEL = load_model()
# A pair scoring at least this is suggested as the same problem (see bench/duplicates.py).
SAME_ABOVE = MODEL.same_above if MODEL else 1.0


def score(values: tuple[float, ...], bias: float, weights: tuple[float, ...]) -> float:
    return _logistic(bias + sum(w * v for w, v in zip(weights, values, strict=True)))


def similarity(a: str | Profile, b: str | Profile) -> float:
    """How alike two requests are, 0 to 1 (texts or their profiles); see the module docstring."""
    if MODEL is None:
        raise RuntimeError(f"{MODEL_FILE.name} is missing or stale: run bench/fit_duplicates.py")
    first = a if isinstance(a, Profile) else profile(a)
    second = b if isinstance(b, Profile) else profile(b)
    if not first.body and not first.facets or not second.body and not second.facets:
        return 0.0
    if MODEL.unweighted >= _SLOW_GROUPS:
        return round(_logistic(MODEL.bias + _quick_sum(first, second, MODEL.weights)), 4)
    values = features(first, second, skip=MODEL.unweighted)
    return round(_logistic(MODEL.bias + sum(w * values[i] for i, w in MODEL.terms)), 4)


def may_be_same(a: str | Profile, b: str | Profile) -> bool:
    """False when the pair's score cannot reach SAME_ABOVE, even rounded to two places: the two
    share no facet and the other signals cannot lift the log-odds that far (no need to score
    it, unless its score is shown anyway)."""
    if MODEL is None or MODEL.apart_may_be_same:
        return True
    first = a if isinstance(a, Profile) else profile(a)
    second = b if isinstance(b, Profile) else profile(b)
    return not first.facets.isdisjoint(second.facets)


# The groups whose signals read the texts' n-grams: while the model weighs none of them, a
# pair's score is summed inline from its places, facets and the rest (_quick_sum).
_SLOW_GROUPS = frozenset({"wording", "unexplained"})
# Each signal's place among the weights, read by _quick_sum (a thing's and a trouble's three
# signals in a row: agreement, one side missing, clash).
_BUILDING_SAME, _BUILDING_CLASH, _LANE_SAME, _LANE_CLASH, _ROOM_SAME, _ROOM_CLASH = (
    FEATURES.index(name)
    for name in ("building_same", "building_clash", "lane_same", "lane_clash", "room_same", "room_clash")
)
_THINGS, _TROUBLES, _ALL_FACETS, _NEGATION, _IMBALANCE = (
    FEATURES.index(name)
    for name in ("thing_agreement", "trouble_agreement", "facet_agreement", "negation_one_side", "length_imbalance")
)


def _quick_sum(first: Profile, second: Profile, w: tuple[float, ...]) -> float:
    """The weighted sum of the places', facets' and rest's signals, added in the order of
    FEATURES as similarity's general sum adds them (a signal of 0 adds nothing), each computed
    as `features` computes it but without building the list: the same score, to the last bit,
    on every labelled pair (tests/duplicates/test_similarity.py)."""
    total = 0.0
    # places: building (or a part: staircase, gate, side, floor) same or clashing, lane, room
    buildings, theirs = first.buildings, second.buildings
    shared = bool(buildings) and bool(theirs) and not buildings.isdisjoint(theirs)
    clash = (bool(buildings) and bool(theirs) and not shared) or _parts_clash(first, second)
    if clash:
        total += w[_BUILDING_CLASH]
    elif shared:
        total += w[_BUILDING_SAME]
    lanes, theirs = first.lanes, second.lanes
    if lanes and theirs:
        total += w[_LANE_CLASH] if lanes.isdisjoint(theirs) else w[_LANE_SAME]
    room_same, room_clash = _rooms(first, second)
    if room_same:
        total += w[_ROOM_SAME]
    if room_clash:
        total += w[_ROOM_CLASH]
    # facets: for things, then troubles, agreement, one side missing, clash; then all together
    for kind, at in ((0, _THINGS), (1, _TROUBLES)):
        mine, their = first.kinds[kind], second.kinds[kind]
        if mine and their:
            total += w[at] * (_mass(mine & their) / min(first.kind_mass[kind], second.kind_mass[kind]))
            specific, specific_theirs = first.specific[kind], second.specific[kind]
            if specific and specific_theirs and specific.isdisjoint(specific_theirs):
                total += w[at + 2]
        else:
            total += w[at + 1]
    if first.facets and second.facets:
        total += w[_ALL_FACETS] * _facet_agreement(first, second)
    # the rest: negated on one side only, lengths apart
    if first.negated != second.negated:
        total += w[_NEGATION]
    shorter, longer = sorted((len(first.body) + 1, len(second.body) + 1))
    return total + w[_IMBALANCE] * math.log(longer / shorter) ** 2


def explain(a: str, b: str) -> list[tuple[str, float, float]]:
    """Each signal of the pair, its value and its contribution to the score's log-odds."""
    values = features(profile(a), profile(b))
    return [(name, v, w * v) for name, v, w in zip(FEATURES, values, MODEL.weights, strict=True)]

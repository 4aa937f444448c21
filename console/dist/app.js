var L,wt,Zn,te,Ue,xe,kt,ke,St,Ve,Je,Xn,fe=Symbol.for("pv"),Te={},Ce=[],Yn=/^m(i|n|o|s|text|space)$/,We=Array.isArray,ze=Ce.slice,se=Object.assign;function oe(e){e&&e.parentNode&&e.remove()}function Ge(e,t,n){var s,r,o,i={},l=arguments.length;for(o in t)o=="key"?s=t[o]:o=="ref"&&typeof e!="function"?r=t[o]:i[o]=t[o];return l>2&&(i.children=l>3?ze.call(arguments,2):n),pe(e,i,s,r,null)}function pe(e,t,n,s,r){var o={type:e,props:t,key:n,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:fe,__v:r||++wt,__i:-1,__u:0};return!r&&L.vnode&&L.vnode(o),o}function Ee(e){return e.children}function me(e,t){this.props=e,this.context=t,this.__g=0}function ne(e,t){if(t==null)return e.__&&ne(e.__,e.__i+1);for(var n;t<e.__k.length;t++)if((n=e.__k[t])&&n.__e)return n.__e;return typeof e.type!="function"||e.props.__P?null:ne(e)}function eo(e){var t,n=e.__v,s=n.__e,r=[],o=[],i=e.__P;i&&((t=se({constructor:fe},n)).__v=n.__v+1,L.vnode&&L.vnode(t),Ke(i,t,n,e.__n,i.namespaceURI,32&n.__u?[s]:null,r,s||ne(n),32&n.__u,o),t.__v=n.__v,t.__.__k[t.__i]=t,Rt(r,t,o),n.__=n.__e=null,t.__e!=s&&xt(t))}function xt(e){if((e=e.__)&&e.__c&&!e.props.__P)return e.__e=null,e.__k.some(function(t){return t&&(e.__e=t.__e)}),xt(e)}function _t(e){(8&e.__g||(e.__g|=8,te.push(e),xe++))&&Ue==L.debounceRendering||((Ue=L.debounceRendering)||queueMicrotask)(Tt)}function Tt(){try{for(var e,t=1;te.length;)te.length>t&&te.sort(kt),e=te.shift(),t=te.length,8&e.__g&&eo(e)}finally{(xe=te.length)&&(Ue||queueMicrotask)(Tt)}}function Ct(e,t,n,s,r,o,i,l,u,p,c){var m,h,d,g,$,y,k=s.__k||Ce,v=t.length;for(u=to(n,t,k,u,v),m=0;m<v;m++)(d=n.__k[m])!=null&&(h=~d.__i&&k[d.__i]||Te,d.__i=m,y=Ke(e,d,h,r,o,i,l,u,p,c),g=d.__e,(h.ref!=d.ref||8&h.__u)&&(h.ref&&Qe(h.ref,null,d,h),d.ref&&c.push(d.ref,d.__c||g,d)),$=$||g,4&d.__u?(u=Et(d,u,e,!h.__v),h.__e&&(h.__e=null)):typeof d.type=="function"&&y!==void 0?u=y:g&&(u=g.nextSibling),d.__u&=-21);return n.__e=$,u}function to(e,t,n,s,r){var o,i,l,u,p,c,m,h,d,g=n.length,$=g,y=0,k=0,v=e.__k=Array(r);for(o=0;o<r;o++)(i=t[o])!=null&&typeof i!="boolean"&&typeof i!="function"?(typeof i!="object"||i.constructor===String?i=v[o]=pe(null,i):We(i)?i=v[o]=pe(Ee,{children:i}):i.constructor===fe&&i.__b?i=v[o]=pe(i.type,i.props,i.key,i.ref,i.__v):v[o]=i,u=o+y,i.__=e,i.__b=e.__b+1,l=null,~(p=i.__i=no(i,n,u,$))&&($--,(l=n[p])&&(l.__u|=2)),l&&l.__v?(i.__u|=16,p==u-1?y--:p==u+1?y++:p!=u&&(p>u?y--:y++,k=1)):(~p||(r>g?y--:r<g&&y++),typeof i.type!="function"&&(i.__u|=4))):v[o]=null;if(k){for(c=[],m=[],o=0;o<r;o++)if((i=v[o])&&16&i.__u){for(y=0,h=c.length;y<h;)c[d=y+h>>1]<i.__i?y=d+1:h=d;c[y]=i.__i,m[o]=y+1}for(y=c.length;o--;)m[o]&&(m[o]==y?y--:v[o].__u|=4)}if($)for(o=0;o<g;o++)!(l=n[o])||2&l.__u||(l.__e==s&&(s=ne(l)),Ze(l,l));return s}function Et(e,t,n,s){var r,o,i,l;if(typeof e.type=="function"){if(e.props.__P)return t;if(r=e.__k)for(o=0;o<r.length;o++)r[o]&&(r[o].__=e,t=Et(r[o],t,n,!1));return t}for(t&&!t.parentNode&&(t=ne(e))&&!t.parentNode&&(t=null),i=e.__e,l=t;l&&l.nodeType==8;)l=l.nextSibling;for(i!=l&&(!s&&n.moveBefore&&i.parentNode?n.moveBefore(i,t):n.insertBefore(i,t||null)),t=i;(t=t&&t.nextSibling)&&t.nodeType==8&&!t.data.startsWith("$s"););return t}function no(e,t,n,s){var r,o=e.key,i=e.type,l=t[n],u=l&&!(2&l.__u);if(l===null&&o==null||u&&o==l.key&&i==l.type)return n;if(s>(u?1:0)){for(r=n-1;r>=0;r--)if((l=t[r])&&!(2&l.__u)&&o==l.key&&i==l.type)return r;for(r=n+1;r<t.length;r++)if((l=t[r])&&!(2&l.__u)&&o==l.key&&i==l.type)return r}return-1}function vt(e,t,n){n==null&&(n=""),t[0]=="-"?e.setProperty(t,n):e[t]=n}function we(e,t,n,s,r){var o,i;if(t=="style")if(typeof n=="string")e.style.cssText=n;else{if(typeof s=="string"&&(e.style.cssText=s=""),s)for(t in s)n&&t in n||vt(e.style,t);if(n)for(t in n)s&&n[t]==s[t]||vt(e.style,t,n[t])}else if(t[0]=="o"&&t[1]=="n")typeof n!="function"&&(n=null),typeof s!="function"&&(s=null),(e.__e||(e.__e={}))[t]=n,n&&s||(i=Je[t]||(Je[t]=oo(t)),(e.__a||(e.__a={}))[t]=Ve,o=t!=(t=t.replace(St,"$1")),(t=t.slice(2))[0]<"a"&&(t=t.toLowerCase()),n?e.addEventListener(t,i,o):e.removeEventListener(t,i,o));else{if(r=="http://www.w3.org/2000/svg")t=t.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(t!="width"&&t!="height"&&t!="href"&&t!="list"&&t!="form"&&t!="tabIndex"&&t!="download"&&t!="rowSpan"&&t!="colSpan"&&t!="role"&&t!="popover"&&t in e)try{return void(e[t]=n??"")}catch{}if(typeof n=="function")return;n==null||n===!1&&t[4]!="-"?e.removeAttribute(t):e.setAttribute(t,t=="popover"&&n==1?"":n)}}function oo(e){return function(t){var n=this.__e;if(n){if(n=n[e],t[ke]==null)t[ke]=Ve++;else if(t[ke]<this.__a[e])return;return n(L.event?L.event(t):t)}}}function Ke(e,t,n,s,r,o,i,l,u,p){var c,m,h,d,g,$,y,k,v,S,T,B,U,J,C,R,D,M,K=t.type;if(t.constructor!==fe)return null;128&n.__u&&(u=32&n.__u,c=n.__c.__z)&&(t.__u|=u,m=o=[],c.nodeType==8?l=Se(c,o):o.push(c),l=o[0]||l),(c=L.__b)&&c(t);e:if(typeof K=="function"){h=i.length;try{if(k=t.props,v=(c=K.prototype)&&c.render,S=(c=K.contextType)&&s[c.__c],T=c?S?S.props.value:c.__:s,(d=n.__c)?(t.__c=d,2&d.__g&&(d.__g|=1)):(v?t.__c=d=new K(k,T):(t.__c=d=new me(k,T),d.constructor=K,d.render=ro),S&&S.sub(d),d.state||(d.state={}),d.__n=s,d.__g|=8,d.__h=[],d.__k=[]),v&&(d.__s||(d.__s=d.state),K.getDerivedStateFromProps&&(d.__s==d.state&&(d.__s=se({},d.__s)),se(d.__s,K.getDerivedStateFromProps(k,d.__s)))),g=d.props,$=d.state,d.__v=t,n.__c){if(k!==g&&v&&!K.getDerivedStateFromProps&&d.componentWillReceiveProps&&d.componentWillReceiveProps(k,T),t.__v==n.__v&&!(8&d.__g)||!(4&d.__g)&&d.shouldComponentUpdate&&d.shouldComponentUpdate(k,d.__s,T)===!1){t.__v!=n.__v&&(d.props=k,d.state=d.__s,d.__g&=-9),t.__e=n.__e,t.__k=n.__k,t.__k.some(function(q){q&&(q.__=t)}),Ce.push.apply(d.__h,d.__k),d.__k=[],d.__h.length&&i.push(d),l=ne(n);break e}d.componentWillUpdate&&d.componentWillUpdate(k,d.__s,T),v&&d.componentDidUpdate&&d.__h.push(function(){d.componentDidUpdate(g,$,y)})}else v&&!K.getDerivedStateFromProps&&d.componentWillMount&&d.componentWillMount(),v&&d.componentDidMount&&d.__h.push(d.componentDidMount);d.context=T,d.props=k,d.__P=e,d.__g&=-5,B=L.__r,U=v?25:0;do d.__g&=-9,B&&B(t),c=d.render(d.props,d.state=d.__s,d.context);while(8&d.__g&&++U<25);v&&(Ce.push.apply(d.__h,d.__k),d.__k=[]),d.state=d.__s,d.getChildContext&&(s=se({},s,d.getChildContext())),v&&n.__c&&d.getSnapshotBeforeUpdate&&(y=d.getSnapshotBeforeUpdate(g,$)),J=c&&c.type===Ee&&c.key==null?c.props.children:c,k.__P&&(c=l,r=(e=k.__P).namespaceURI,u=o=null,n.props&&n.props.__P!=e&&(n.__k.some(function(q){q&&Ze(q,q)}),n.__k=null),l=n.__k?ne(n,0):null),l=Ct(e,We(J)?J:[J],t,n,s,r,o,i,l,u,p),k.__P&&(t.__e=null,l=c),t.__u&=-161,m&&m.some(oe),d.__h.length&&i.push(d),1&d.__g&&(d.__g&=-4)}catch(q){if(i.length=h,t.__v=null,u||o)if(q&&q.then){if(t.__u|=128|u,o){for(~(D=o.indexOf(l||void 0))||(D=o.length);(M=o[D-1])&&M.nodeType==8;)D--;for(;D<o.length;D++)if(M=o[D])if(o[D]=null,C){if(M==R)break}else{if(M.nodeType!=8)break;M.data.startsWith("$s")&&(R=Se(C=M))}}if(!C){for(;l&&l.nodeType==8&&l.nextSibling;)l=l.nextSibling;C=l}(c=Se(C=t.__c.__z||(t.__c.__z=C)))?(t.__e=C,l=c):t.__e=l,l=l&&l.nextSibling}else o&&o.some(oe);else t.__e=n.__e;t.__k||(t.__k=n.__k||[]),q&&q.then||Pt(t),L.__e(q,t,n)}}else l=t.__e=so(n.__e,t,n,s,r,o,i,u,p,e);return(c=L.diffed)&&c(t),l}function Se(e,t){if(e&&e.nodeType==8&&e.data.startsWith("$s"))for(var n=1;e=e.nextSibling;){if(e.nodeType==8){if(e.data.startsWith("$s"))n++;else if(e.data.startsWith("/$s")&&!--n)return e}t&&t.push(e)}}function Pt(e){e&&(e.__c&&(e.__c.__g|=4),e.__k&&e.__k.some(Pt))}function Rt(e,t,n){for(var s=0;s<n.length;)Qe(n[s++],n[s++],n[s++]);L.__c&&L.__c(t,e),e.some(function(r){try{e=r.__h,r.__h=[],e.some(function(o){o.call(r)})}catch(o){L.__e(o,r.__v)}})}function so(e,t,n,s,r,o,i,l,u,p){var c,m,h,d,g,$,y,k,v=n.props||Te,S=t.props,T=t.type;if(T=="svg"?r="http://www.w3.org/2000/svg":T=="math"?r="http://www.w3.org/1998/Math/MathML":r||(r="http://www.w3.org/1999/xhtml"),o){for(c=0;c<o.length;c++)if((g=o[c])&&(T?g.localName==T:g.nodeType==3)){e=g,o[c]=null;break}}if(!e){if(k=p.ownerDocument||document,!T)return k.createTextNode(S);e=k.createElementNS(r,T,S.is?S:p),l&&(L.__m&&L.__m(t,o),l=!1),o=null}if(T){if(p=T=="template"&&e.content||e,o=T=="textarea"&&S.defaultValue!=null?null:o&&ze.call(p.childNodes),!l&&o)for(v={},c=0;c<e.attributes.length;c++)v[(g=e.attributes[c]).name]=g.value;for(c in v)g=v[c],c=="dangerouslySetInnerHTML"?h=g:c=="children"||c in S||c=="value"&&"defaultValue"in S||c=="checked"&&"defaultChecked"in S||we(e,c,null,g,r);for(c in S)g=S[c],c=="children"?d=g:c=="dangerouslySetInnerHTML"?m=g:c=="value"?$=g:c=="checked"?y=g:l&&typeof g!="function"||v[c]===g||we(e,c,g,v[c],r);m?(l||h&&(m.__html==h.__html||m.__html==e.innerHTML)||(e.innerHTML=m.__html),t.__k=[]):(h&&(e.textContent=""),(T=="foreignObject"||r=="http://www.w3.org/1998/Math/MathML"&&Yn.test(T))&&(r="http://www.w3.org/1999/xhtml"),Ct(p,We(d)?d:[d],t,n,s,r,o,i,o?o[0]:n.__k&&ne(n,0),l,u),o&&o.some(oe)),l&&T!="textarea"||(c="value",T=="progress"&&$==null?e.removeAttribute(c):$==null||$===e[c]&&(T!="progress"||$)||we(e,c,$,v[c],r),c="checked",y!=null&&y!=e[c]&&we(e,c,y,v[c],r))}else v===S||l&&e.data==S||(e.data=S);return e}function Qe(e,t,n,s){try{typeof e=="function"?t?t.__x=e(t)||1:s&&(s=s.__c||s.__e)&&(t=s.__x)&&(s.__x=null,typeof t=="function"?t():e(null)):e.current=t}catch(r){L.__e(r,n)}}function Ze(e,t,n){var s,r,o,i;if(L.unmount&&L.unmount(e),!(s=e.ref)||s.current&&s.current!=e.__e||Qe(s,null,t,e),s=e.__c){if(s.componentWillUnmount)try{s.componentWillUnmount()}catch(l){L.__e(l,t)}s.__P=s.__n=null}if(s=e.__k)for(i=0;i<s.length;i++)s[i]&&Ze(s[i],t,typeof e.type!="function"||n&&!e.props.__P);!n&&(s=e.__c)&&(s=s.__z)&&(r=Se(s,o=[]))&&(s==e.__e&&o.some(oe),oe(r),oe(s)),n||oe(e.__e),e.__e=e.__c=e.__=null}function ro(e,t,n){return this.constructor(e,n)}function Xe(e,t){var n,s,r,o;L.__&&L.__(e,t),t.nodeType==9&&(t=t.documentElement),s=(n=e&&32&e.__u)?null:t.__k,t.__k=pe(Ee,{children:[e]}),r=[],o=[],Ke(t,t.__k,s||Te,Te,t.namespaceURI,s?null:t.firstChild?ze.call(t.childNodes):null,r,s?s.__e:t.firstChild,n,o),Rt(r,t.__k,o),t.__k.props.children=null}L={__e:function(e,t,n,s){for(var r,o,i;t=t.__;)if((r=t.__c)&&!(1&r.__g)){r.__g|=4;try{if((i=(o=r.constructor)&&o.getDerivedStateFromError)&&r.setState(o.getDerivedStateFromError(e)),r.componentDidCatch&&(r.componentDidCatch(e,s||{}),i=1),i&&8&r.__g)return void(r.__g|=2)}catch(l){e=l}}throw xe=0,e}},wt=0,Zn=function(e){return e!=null&&e.constructor===fe},me.prototype.setState=function(e,t){var n=this.__s;n&&n!=this.state||(n=this.__s=se({},this.state)),typeof e=="function"&&(e=e(se({},n),this.props)),e&&(se(n,e),this.__v&&(t&&this.__k.push(t),_t(this)))},me.prototype.forceUpdate=function(e){this.__v&&(this.__g|=4,e&&this.__h.push(e),_t(this))},me.prototype.render=Ee,te=[],xe=0,kt=function(e,t){return e.__v.__b-t.__v.__b},ke=Symbol(),St=/(PointerCapture)$|Capture$/i,Ve=0,Je={},Xn=0;var At=function(e,t,n,s){var r;t[0]=0;for(var o=1;o<t.length;o++){var i=t[o++],l=t[o]?(t[0]|=i?1:2,n[t[o++]]):t[++o];i===3?s[0]=l:i===4?s[1]=Object.assign(s[1]||{},l):i===5?(s[1]=s[1]||{})[t[++o]]=l:i===6?s[1][t[++o]]+=l+"":i?(r=e.apply(l,At(e,l,n,["",null])),s.push(r),l[0]?t[0]|=2:(t[o-2]=0,t[o]=r)):s.push(l)}return s},Lt=new Map;function Dt(e){var t=Lt.get(this);return t||(t=new Map,Lt.set(this,t)),(t=At(this,t.get(e)||(t.set(e,t=(function(n){for(var s,r,o=1,i="",l="",u=[0],p=function(h){o===1&&(h||(i=i.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?u.push(0,h,i):o===3&&(h||i)?(u.push(3,h,i),o=2):o===2&&i==="..."&&h?u.push(4,h,0):o===2&&i&&!h?u.push(5,0,!0,i):o>=5&&((i||!h&&o===5)&&(u.push(o,0,i,r),o=6),h&&(u.push(o,h,0,r),o=6)),i=""},c=0;c<n.length;c++){c&&(o===1&&p(),p(c));for(var m=0;m<n[c].length;m++)s=n[c][m],o===1?s==="<"?(p(),u=[u],o=3):i+=s:o===4?i==="--"&&s===">"?(o=1,i=""):i=s+i[0]:l?s===l?l="":i+=s:s==='"'||s==="'"?l=s:s===">"?(p(),o=1):o&&(s==="="?(o=5,r=i,i=""):s==="/"&&(o<5||n[c][m+1]===">")?(p(),o===3&&(u=u[0]),o=u,(u=u[0]).push(2,0,o),o=0):s===" "||s==="	"||s===`
`||s==="\r"?(p(),o=2):i+=s),o===3&&i==="!--"&&(o=4,u=u[0])}return p(),u})(e)),t),arguments,[])).length>1?t:t[0]}var a=Dt.bind(Ge);var ge,F,Ye,Nt,et=Object.is,Pe=0,Ut=[],tt=[],O=L,It=O.__b,Mt=O.__r,Ot=O.diffed,Ft=O.__c,jt=O.unmount,qt=O.__;function ot(e,t){O.__h&&O.__h(F,e,Pe||t),Pe=0;var n=F.__H||(F.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function f(e){return Pe=1,io(Vt,e)}function io(e,t,n){var s=ot(ge++,2);if(s.t=e,!s.__c&&(s.__=[n?n(t):Vt(void 0,t),function(o){var i=(s.__N||s.__)[0],l=s.t(i,o);et(i,l)||(s.__N=[l,s.__[1]],s.__c.setState({}))}],s.__c=F,!F.__f)){F.__f=!0;var r=F.shouldComponentUpdate;F.shouldComponentUpdate=function(o,i,l){var u=this.__H;if(!u)return!0;var p=!1,c=this.props!=o;if(u.__.some(function(h){h.__N&&(p=!0,et(h.__[0],h.__N[0])||(c=!0))}),r){var m=r.call(this,o,i,l);return p?m||c:m}return!p||c}}return s.__}function w(e,t){var n=ot(ge++,3);!O.__s&&Jt(n.__H,t)&&(n.__P=!0,n.__=e,n.u=t,F.__H.__h.push(n))}function H(e){return Pe=5,st(function(){return{current:e}},[])}function st(e,t){var n=ot(ge++,7);return Jt(n.__H,t)&&(n.__=e(),n.__H=t),n.__}function ao(){var e;do{for(;e=tt.shift();)try{he(e)}catch(n){O.__e(n,{__:(e=e.__P)&&e.__v})}for(;e=Ut.shift();){var t=e.__H;if(e.__P&&t)try{t.__h.some(he),t.__h.some(nt),t.__h=[]}catch(n){t.__h=[],O.__e(n,e.__v)}}}while(tt.length)}O.__b=function(e){F=null,It&&It(e)},O.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),qt&&qt(e,t)},O.__r=function(e){Mt&&Mt(e),ge=0;var t=(F=e.__c).__H;t&&(Ye==F?F.__h=[]:(t.__h.some(he),t.__h.some(nt),ge=0),t.__h=[],t.__.some(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})),Ye=F},O.diffed=function(e){Ot&&Ot(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&Bt(Ut.push(t)),t.__H.__.some(function(n){n.u&&(n.__H=n.u)})),Ye=F=null},O.__c=function(e,t){t.some(function(n){try{n.__h.some(he),n.__h=n.__h.filter(function(s){return!s.__||nt(s)})}catch(s){n.__h=[function(){throw s}]}}),Ft&&Ft(e,t)},O.unmount=function(e){jt&&jt(e);var t,n,s=e.__c;s&&s.__H&&(s.__H.__.some(function(r){try{if(r.__P&&r.__c){if(n===void 0){for(n=e.__;n&&(!n.__c||!n.__c.__P);)n=n.__;n=n&&n.__c}r.__P=n,Bt(tt.push(r))}else he(r)}catch(o){t=o}}),s.__H=void 0,t&&O.__e(t,s.__v))};var Ht=typeof requestAnimationFrame=="function";function lo(e){var t,n=function(){clearTimeout(s),Ht&&cancelAnimationFrame(t),setTimeout(e)},s=setTimeout(n,35);Ht&&(t=requestAnimationFrame(n))}function Bt(e){e!=1&&Nt==O.requestAnimationFrame||((Nt=O.requestAnimationFrame)||lo)(ao)}function he(e){var t=F,n=e.__c;typeof n=="function"&&(e.__c=void 0,n()),F=t}function nt(e){var t=F;e.__c=e.__(),F=t}function Jt(e,t){return!e||e.length!=t.length||t.some(function(n,s){return!et(n,e[s])})}function Vt(e,t){return typeof t=="function"?t(e):t}var P=class extends Error{constructor(n,s,r){super(s);this.status=n;this.body=r}status;body},rt,Wt=()=>{};function Re(e){rt=e}function zt(e){Wt=e}async function _(e,t={}){let n=t.method??"GET",s={accept:"application/json",...t.headers};t.body!==void 0&&(s["content-type"]="application/json"),n!=="GET"&&rt&&(s["x-umbra-csrf"]=rt);let r;try{r=await fetch(e,{method:n,headers:s,credentials:"same-origin",keepalive:t.keepalive,body:t.body===void 0?void 0:JSON.stringify(t.body)})}catch{throw new P(0,"The node is unreachable")}let o=await r.text(),i;try{i=o?JSON.parse(o):void 0}catch{i=void 0}if(!r.ok){r.status===401&&!t.quiet401&&Wt();let l=i?.message??`${r.status} ${r.statusText}`;throw new P(r.status,l,i)}return i}var b=encodeURIComponent;var Gt=["hello","shadow","presence","match","unmatch","job","thing","end","overflow"];var it;function Kt(e){it===void 0&&(it=co());let t=it;return t?(t.port.onmessage=n=>{n.data.type==="event"?e.event(n.data.event,n.data.data):e.error(n.data.closed)},t.port.postMessage({type:"start"}),{close:()=>{t.port.onmessage=null,t.port.postMessage({type:"stop"})}}):uo(e)}function co(){if(typeof SharedWorker>"u")return null;try{let e=new SharedWorker("/console/stream-worker.js",{name:"umbra-events"});return e.port.start(),addEventListener("pagehide",()=>e.port.postMessage({type:"stop"})),e}catch{return null}}function uo(e){let t=new EventSource("/console/api/events");for(let n of Gt)t.addEventListener(n,s=>e.event(n,s.data));return t.onerror=()=>e.error(t.readyState===EventSource.CLOSED),{close:()=>t.close()}}var po=Math.random().toString(36).slice(2,10),mo=["match","unmatch","job","thing","end"],at=class{link;streamId;follows=new Map;pending=new Map;lastKey=0;listeners=new Set;statusListeners=new Set;status="connecting";everLive=!1;wanted=!1;start(){if(this.wanted=!0,this.link)return;let t=Kt({event:(n,s)=>this.onEvent(n,s),error:n=>{this.streamId=void 0,this.setStatus("lost"),!(!n||this.link!==t)&&(t.close(),this.link=void 0,_("/session").catch(()=>{}),setTimeout(()=>{this.wanted&&this.start()},2e3))}});this.link=t}onEvent(t,n){let s=JSON.parse(n);if(t==="hello"){this.streamId=typeof s.stream=="string"?s.stream:void 0;for(let r of this.follows.keys())this.sendFollow(r);this.everLive&&this.emit({type:"reconnected"}),this.everLive=!0,this.setStatus("live")}else t==="shadow"?this.emit({type:"shadow",data:s}):t==="presence"?this.emit({type:"presence",data:s}):mo.includes(t)&&this.follows.get(String(s.key))?.on(t,s)}stop(){this.wanted=!1,this.link?.close(),this.link=void 0,this.streamId=void 0,this.everLive=!1,this.setStatus("connecting")}subscribe(t){return this.listeners.add(t),()=>this.listeners.delete(t)}follow(t){let n=`${po}.f${++this.lastKey}`;return this.follows.set(n,t),this.sendFollow(n),()=>{this.follows.delete(n),this.sendFollow(n)}}dropFollows(){let t=this.streamId;if(t!==void 0)for(let n of this.follows.keys())_(`/console/api/events/${b(t)}/follows/${b(n)}`,{method:"DELETE",keepalive:!0}).catch(()=>{})}sendFollow(t){let n=this.streamId;if(n===void 0)return;let s=`/console/api/events/${b(n)}/follows/${b(t)}`,i=(this.pending.get(t)??Promise.resolve()).then(async()=>{let l=this.follows.get(t);if(n===this.streamId){if(!l)return _(s,{method:"DELETE"});await _(s,{method:"PUT",body:l.what}),l.following?.()}}).catch(()=>{});this.pending.set(t,i),i.then(()=>{this.pending.get(t)===i&&this.pending.delete(t)})}onStatus(t){return this.statusListeners.add(t),()=>this.statusListeners.delete(t)}emit(t){for(let n of this.listeners)n(t)}setStatus(t){if(t!==this.status){this.status=t;for(let n of this.statusListeners)n(t)}}},V=new at;addEventListener("pagehide",()=>V.dropFollows());function ae(e,t=[]){w(()=>V.subscribe(e),t)}function Qt(){let[e,t]=f(V.status);return w(()=>V.onStatus(t),[]),e}function W(e){return e.role==="operator"||e.role==="anonymous"}async function Zt(){let e=await _("/session",{quiet401:!0});return Re(e.csrf),e}async function Xt(e){let t=await _("/session",{method:"POST",body:e,headers:{"x-umbra-console":"1"},quiet401:!0});return Re(t.csrf),t}async function Yt(){await _("/session",{method:"DELETE"}).catch(()=>{}),Re(void 0)}function en({reason:e,onSignedIn:t}){let[n,s]=f("password"),[r,o]=f(e),[i,l]=f(!1);return a`<main class="centered">
    <form class="card signin" onSubmit=${async p=>{p.preventDefault();let c=new FormData(p.target);l(!0),o(void 0);try{let m=await Xt(n==="token"?{token:String(c.get("token")??"")}:{username:String(c.get("username")??""),password:String(c.get("password")??"")});t(m)}catch(m){o(m instanceof P?m.message:String(m))}finally{l(!1)}}} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to Umbra</h1>
      <div class="tabs" role="group" aria-label="Sign-in method">
        <button type="button" aria-pressed=${n==="password"} onClick=${()=>s("password")}>
          User name and password
        </button>
        <button type="button" aria-pressed=${n==="token"} onClick=${()=>s("token")}>Bearer token</button>
      </div>
      ${n==="password"?a`<label>User name <input name="username" autocomplete="username" required /></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>`:a`<label>Token <input name="token" autocomplete="off" placeholder="umb_…" required /></label>`}
      ${r?a`<p class="error" role="alert">${r}</p>`:null}
      <button type="submit" class="primary" disabled=${i}>Sign in</button>
      <p class="hint">Operators and viewers sign in here; <code>umbra user add</code> creates them.</p>
    </form>
  </main>`}function N(e){return e===void 0?"\u2014":new Date(e*1e3).toLocaleString()}function Y(e,t=Date.now()){if(e===void 0)return"\u2014";let n=Math.max(0,Math.round(t/1e3-e));return n<60?`${n} s ago`:n<3600?`${Math.floor(n/60)} min ago`:n<86400?`${Math.floor(n/3600)} h ago`:`${Math.floor(n/86400)} d ago`}function Le(e){return e<1024?`${e} B`:e<1024*1024?`${(e/1024).toFixed(1)} KiB`:`${(e/1024/1024).toFixed(1)} MiB`}function le(e){return e<1e3?`${e} ms`:e<6e4?`${(e/1e3).toFixed(1)} s`:`${Math.floor(e/6e4)} min ${Math.round(e%6e4/1e3)} s`}function z(e){return e===void 0?"":JSON.stringify(e,null,2)}function I(e){return e instanceof P?e.status===0?e.message:`${e.message} (${e.status})`:String(e)}function j(e,t){let[n,s]=f(),[r,o]=f(),[i,l]=f(0);return w(()=>{if(e===void 0)return;let u=!1,p,c=()=>_(e).then(m=>{u||(s(m),o(void 0))}).catch(m=>!u&&o(I(m))).finally(()=>{!u&&t&&(p=setTimeout(c,t))});return c(),()=>{u=!0,clearTimeout(p)}},[e,t,i]),{data:n,error:r,reload:()=>l(u=>u+1)}}function Ae(e){let t=!1,n=!1,s=()=>{if(t){n=!0;return}t=!0,n=!1,e().catch(()=>{}).finally(()=>{t=!1,n&&s()})};return s}var tn=e=>e==="critical"||e==="major"?"badge bad":e==="minor"||e==="warning"?"badge warn":"badge",nn=e=>`/alarms/${[e.system,e.rule,e.thing].map(encodeURIComponent).join("/")}`;function fo(e){let t=e.replace(/^#\/?/,""),[n="",s=""]=t.split("?"),[r="",...o]=n.split("/").map(i=>decodeURIComponent(i));return{page:r,args:o,query:new URLSearchParams(s)}}function on(){let[e,t]=f(location.hash);return w(()=>{let n=()=>t(location.hash);return addEventListener("hashchange",n),n(),()=>removeEventListener("hashchange",n)},[]),st(()=>fo(e),[e])}function G(e,t){return`#/things/${encodeURIComponent(e)}${t?`?shadow=${encodeURIComponent(t)}`:""}`}function sn(e){return`#/things/${encodeURIComponent(e)}?view=inventory`}var rn=3e3,ho=["open","raised","acknowledged","cleared","all"],an=(e,t)=>{let n=new URLSearchParams;e&&n.set("system",e),t!=="open"&&n.set("state",t),location.hash=`#/alarms${n.size>0?`?${n}`:""}`};function ln({route:e,session:t}){let n=e.query.get("system")??"",s=e.query.get("state")??"open",r=j(`/alarms?state=${b(s)}${n?`&system=${b(n)}`:""}`,rn),o=j("/systems"),[i,l]=f(),[u,p]=f(),c=W(t),m=(d,g,$)=>{p(d.id),_(`${nn(d)}/${g}`,{method:"POST",body:$}).then(()=>{l(void 0),r.reload()}).catch(y=>l(I(y))).finally(()=>p(void 0))},h=i??r.error;return a`
    <h1>Alarms</h1>
    <div class="toolbar">
      <label>System
        <select aria-label="System" value=${n} onChange=${d=>an(d.target.value,s)}>
          <option value="">every system</option>
          ${(o.data?.results??[]).map(d=>a`<option value=${d.name}>${d.name}</option>`)}
          ${n&&!o.data?.results.some(d=>d.name===n)?a`<option value=${n}>${n}</option>`:null}
        </select>
      </label>
      <label>State
        <select aria-label="State" value=${s} onChange=${d=>an(n,d.target.value)}>
          ${ho.map(d=>a`<option value=${d}>${d}</option>`)}
        </select>
      </label>
      ${n?a`<a href=${`#/review/${b(n)}`}>Review of ${n}</a>`:null}
      <span class="meta">Refreshed every ${rn/1e3} s.</span>
    </div>
    ${h?a`<p class="error" role="alert">${h}</p>`:null}
    ${r.data?r.data.results.length===0?a`<p class="empty" data-testid="no-alarms">No ${s==="all"?"":`${s} `}alarms${n?` in ${n}`:""}.</p>`:a`<${lt} alarms=${r.data.results} editable=${c} busy=${u} act=${m} />`:r.error?null:a`<p>Loading alarms…</p>`}
  `}function lt(e){let{alarms:t,editable:n,busy:s,act:r}=e,o=Date.now();return a`<div class="scroll" tabindex="0"><table data-testid="alarms-table">
    <caption class="sr-only">Alarms, newest raise first</caption>
    <thead><tr>
      <th scope="col">Alarm</th><th scope="col">Severity</th><th scope="col">State</th><th scope="col">Thing</th>
      <th scope="col">Summary</th><th scope="col">Raised</th><th scope="col">Fired</th><th scope="col">Acknowledged</th>
      ${n&&r?a`<th scope="col"><span class="sr-only">Actions</span></th>`:null}
    </tr></thead>
    <tbody>${t.map(i=>{let l=i.shelvedUntil!==void 0&&i.shelvedUntil>o;return a`<tr key=${i.id} data-alarm=${i.id}>
        <th scope="row">${i.system}/${i.rule}</th>
        <td><span class=${tn(i.severity)}>${i.severity}</span></td>
        <td data-col="state" class="wrap">${i.state}${l?a`<br /><span class="badge off">shelved until ${N(i.shelvedUntil/1e3)}</span>`:null}</td>
        <td><a href=${G(i.thing)}>${i.thing}</a></td>
        <td class="wrap summary">${i.summary}${i.value!==void 0?` (${JSON.stringify(i.value)})`:""}</td>
        <td title=${N(i.raisedAt/1e3)}>${Y(i.raisedAt/1e3,o)}</td>
        <td>${i.fireCount}×</td>
        <td>${i.ackedBy?`${i.ackedBy}, ${Y((i.ackedAt??0)/1e3,o)}`:"\u2014"}</td>
        ${n&&r?a`<td class="actions">${i.state==="cleared"?null:a`
                ${i.state==="raised"?a`<button disabled=${s===i.id} onClick=${()=>r(i,"ack")}>Acknowledge</button>`:null}
                <button disabled=${s===i.id} onClick=${()=>r(i,"shelve",{for:"2h"})}>Shelve 2 h</button>
                <button class="danger" disabled=${s===i.id} onClick=${()=>r(i,"clear")}>Clear</button>`}</td>`:null}
      </tr>`})}</tbody>
  </table></div>`}function dn(e){let{data:t,error:n,reload:s}=j("/fleet/conflicts"),r=H(void 0);return w(()=>()=>clearTimeout(r.current),[]),ae(o=>{let i=o.type==="reconnected"?void 0:o.data.thing,l=t?.results.some(p=>p.thing===i)??!1;!(o.type==="reconnected"||o.type==="shadow"&&((o.data.conflictLeaves??0)>0||l))||r.current||(r.current=setTimeout(()=>{r.current=void 0,s()},300))},[t]),a`
    <h1>Conflicts</h1>
    <p class="meta">Leaves that sites wrote concurrently: the shadow holds the winner, the losing values are listed here until someone writes the leaf again.</p>
    ${n?a`<p class="error" role="alert">${n}</p>`:null}
    ${t?t.results.length===0?a`<p class="empty" data-testid="no-conflicts">No open conflicts.</p>`:a`<div class="scroll" tabindex="0"><table data-testid="conflicts-table">
            <caption class="sr-only">Shadows with open conflicts</caption>
            <thead><tr><th scope="col">Thing</th><th scope="col">Shadow</th><th scope="col">Version</th><th scope="col">Conflicting leaves</th></tr></thead>
            <tbody>${t.results.map(o=>a`<tr key=${`${o.thing}/${o.shadow}`} data-thing=${o.thing}>
                <th scope="row"><a href=${G(o.thing,o.shadow||void 0)}>${o.thing}</a></th>
                <td>${o.shadow||"classic"}</td>
                <td>${o.version}</td>
                <td><pre tabindex="0">${z(o.conflicts)}</pre></td>
              </tr>`)}</tbody>
          </table></div>`:n?null:a`<p>Loading conflicts…</p>`}
  `}function De(e,t){let n=H(t);n.current=t,w(()=>{if(e!==void 0)return V.follow({what:{q:e},on:(s,r)=>{s==="match"?n.current.match(String(r.thing),r.record):s==="unmatch"&&n.current.unmatch(String(r.thing))},following:()=>n.current.following?.()})},[e])}function ct(e){if(typeof e=="number")return e;if(e===null||typeof e!="object")return;let t;for(let n of Object.values(e)){let s=ct(n);s!==void 0&&(t===void 0||s>t)&&(t=s)}return t}function dt(e){if(e===null||typeof e!="object")return e===void 0?0:1;let t=0;for(let n of Object.values(e))t+=dt(n);return t}function ut(e){let t=e.shadows[""],n=e.connectivity;return{thing:e.thingName,shadows:Object.keys(e.shadows).filter(s=>s!=="").sort(),classic:t!==void 0,version:t?.version,deltaLeaves:dt(t?.state.delta),conflictLeaves:dt(t?.conflicts),connection:n?{connected:n.connected,since:n.since??n.timestamp??0,site:n.site}:void 0,attributes:e.attributes??{}}}function cn(e){return e===void 0?"\u2014":e!==null&&typeof e=="object"?Object.entries(e).map(([t,n])=>`${t}=${cn(n)}`).join(" "):String(e)}function go(e,t){let n=e.attributes[t];return n===void 0?"\u2014":a`<a href=${sn(e.thing)} title=${`Inventory of ${e.thing}`}>${cn(n)}</a>`}var bo=[["Thing","thingName"],["Presence","connectivity.connected"],["Site","connectivity.site"],["Since","connectivity.timestamp"],["Version","shadow.version"],["Delta","shadow.hasDelta"],["Conflicts","conflicts"]];function un(e){let{rows:t,attributeKeys:n,sort:s,onSort:r}=e,o=(i,l)=>{let u=s.field===l;return a`<th scope="col" aria-sort=${u?s.descending?"descending":"ascending":void 0}>
      <button class="sort" onClick=${()=>r(l)}>${i}${u?s.descending?" \u25BC":" \u25B2":""}</button>
    </th>`};return a`<div class="scroll" tabindex="0"><table class="fleet" data-testid="fleet-table">
    <caption class="sr-only">Things, with presence, delta, conflicts and attributes</caption>
    <thead><tr>
      ${bo.map(([i,l])=>o(i,l))}
      <th scope="col">Last report</th>
      ${n.map(i=>o(i,`attributes.${i}`))}
      <th scope="col">Named shadows</th>
    </tr></thead>
    <tbody>
      ${t.map(i=>a`<tr key=${i.thing} data-thing=${i.thing}>
          <th scope="row"><a href=${G(i.thing)}>${i.thing}</a>${i.gone?a` <span class="badge off" data-testid="gone">no longer matches</span>`:null}</th>
          <td data-col="presence">${Ne(i.connection)}</td>
          <td>${i.connection?.site??"\u2014"}</td>
          <td>${Y(i.connection?.since)}</td>
          <td data-col="version">${i.version??"\u2014"}</td>
          <td data-col="delta">${i.deltaLeaves>0?a`<span class="badge warn">${i.deltaLeaves} pending</span>`:i.classic?a`<span class="badge ok">in sync</span>`:"\u2014"}</td>
          <td data-col="conflicts">${i.conflictLeaves>0?a`<span class="badge bad">${i.conflictLeaves}</span>`:"0"}</td>
          <td data-col="last-report">${Y(i.lastReport)}</td>
          ${n.map(l=>a`<td data-col=${`attr-${l}`}>${go(i,l)}</td>`)}
          <td>${i.shadows.length>0?i.shadows.join(", "):"\u2014"}</td>
        </tr>`)}
    </tbody>
  </table></div>`}function Ne(e){return e?e.connected?a`<span class="badge ok" data-connected="true">connected</span>`:a`<span class="badge off" data-connected="false">offline</span>`:a`<span class="badge">never seen</span>`}var pn=50,$o=/^[A-Za-z0-9_.$/+-]*$/;function mn(e,t){let n=[];if(e.trim()&&n.push(`(${e.trim()})`),t.trim()){if(!$o.test(t.trim()))return{problem:"A name filter is letters, digits and _ . $ / + -"};n.push(`thingName:*${t.trim()}*`)}return n.join(" AND ")}function fn({route:e}){let[t,n]=f(e.query.get("q")??""),[s,r]=f(""),[o,i]=f({query:t,name:s}),[l,u]=f({field:"thingName",descending:!1}),[p,c]=f([""]),[m,h]=f(),[d,g]=f(),[$,y]=f(),[k,v]=f(),[S,T]=f(),[B,U]=f(),[J,C]=f(0),[R,D]=f(0),M=p[p.length-1]??"";w(()=>{let x=e.query.get("q");x!==null&&(n(x),i(E=>({...E,query:x})),c([""]))},[e.query.toString()]),w(()=>{if(s===o.name)return;let x=setTimeout(()=>{i(E=>E.name===s?E:{...E,name:s}),c([""])},200);return()=>clearTimeout(x)},[s]),w(()=>{let x=!1,E=mn(o.query,o.name);if(typeof E!="string"){U({message:E.problem,query:o.name});return}let Q=`${l.descending?"-":""}${l.field}`,X=_(`/things?q=${b(E)}&sort=${b(Q)}&fields=*&limit=${pn}&cursor=${b(M)}`),re=_(`/things/count?q=${b(E)}`),ve=_(`/things?q=${b(E)}&sort=${b(Q)}&fields=shadow.metadata.reported&limit=${pn}&cursor=${b(M)}`);return Promise.all([X,re,ve]).then(([Z,ie,Be])=>{if(x)return;let Qn=new Map(Be.results.map(ue=>[ue.thingName,ct(ue["shadow.metadata.reported"])]));h(Z.results.map(ue=>({...ut(ue),lastReport:Qn.get(ue.thingName)}))),g(Z.nextCursor),y(ie.count),v(Z.partial?.reason),T(void 0),U(void 0),D(0)}).catch(Z=>{if(x)return;let ie=Z instanceof P?Z.body:void 0;if(ie?.error==="query_invalid"){let Be=ie.position===void 0?void 0:ie.position-1;U({message:ie.problem??I(Z),position:Be,query:o.query})}else T(I(Z))}),()=>{x=!0}},[o,l,M,J]);let K=H(!0);w(()=>{m&&K.current&&(K.current=!1,performance.mark("umbra:fleet-rendered"))},[m]),ae(x=>{if(x.type==="reconnected")return C(E=>E+1);h(E=>{if(!E)return E;let Q=E.findIndex(Z=>Z.thing===x.data.thing);if(Q<0)return x.type==="shadow"&&x.data.shadow===""&&x.data.version===1&&D(Z=>Z+1),E;let X=E[Q],re;if(x.type==="presence")re={...X,connection:x.data.connection};else{if(x.data.shadow!=="")return E;x.data.deleted?re={...X,classic:!1,version:void 0,deltaLeaves:0,conflictLeaves:0}:re={...X,classic:!0,version:x.data.version,deltaLeaves:x.data.deltaLeaves??0,conflictLeaves:x.data.conflictLeaves??0,lastReport:x.data.lastReport??X.lastReport}}let ve=E.slice();return ve[Q]=re,ve})});let q=mn(o.query,o.name),zn=(m??[]).map(x=>x.thing).join(`
`);De(typeof q=="string"?yo(q,zn):void 0,{match:(x,E)=>h(Q=>Q?.map(X=>X.thing===x?{...ut(E),lastReport:X.lastReport}:X)),unmatch:x=>h(E=>E?.map(Q=>Q.thing===x?{...Q,gone:!0}:Q))});let Gn=[...new Set((m??[]).flatMap(x=>Object.keys(x.attributes)))].sort(),Kn=x=>{u(E=>({field:x,descending:E.field===x?!E.descending:!1})),c([""])};return a`
    <h1>Fleet</h1>
    <form class="toolbar query" onSubmit=${x=>{x.preventDefault(),i(E=>({...E,query:t})),c([""])}}>
      <label class="grow">Fleet query
        <input type="search" name="q" value=${t} placeholder="attributes.type:pdu AND shadow.reported.temp > 30"
          aria-describedby="query-help" onInput=${x=>n(x.target.value)} />
      </label>
      <button type="submit">Run query</button>
      <label class="filter">Filter by name
        <input type="search" value=${s} placeholder="e.g. pdu-" onInput=${x=>r(x.target.value)} />
      </label>
    </form>
    <p id="query-help" class="meta">The fleet query language (docs/fleet.md): <code>field:value</code>, <code>></code>, <code>[a TO b]</code>, AND, OR, NOT; click a column to sort.</p>
    ${B?a`<div class="error" role="alert" data-testid="query-error">${_o(B)}</div>`:null}
    ${S?a`<p class="error" role="alert">${S}</p>`:null}
    ${k?a`<p class="meta" role="status">Partial answer: ${k}</p>`:null}
    <div class="toolbar">
      <span data-testid="fleet-total" aria-live="polite">${$===void 0?"":`${$} ${$===1?"thing":"things"}`}</span>
      <span class="pager">
        <button disabled=${p.length<2} onClick=${()=>c(p.slice(0,-1))}>← Previous</button>
        <span aria-live="polite">Page ${p.length}</span>
        <button disabled=${d===void 0} onClick=${()=>d!==void 0&&c([...p,d])}>Next →</button>
      </span>
    </div>
    ${R>0?a`<p class="meta" role="status" data-testid="fleet-created">
            ${R} new ${R===1?"thing":"things"} since this page was read.
            <button onClick=${()=>C(x=>x+1)}>Refresh</button>
          </p>`:null}
    ${m===void 0?a`<p>Loading things…</p>`:m.length===0?a`<p class="empty">${o.query||o.name?"No thing matches.":"No things yet: a device creates its shadow with its first update."}</p>`:a`<${un} rows=${m} attributeKeys=${Gn} sort=${l} onSort=${Kn} />`}
  `}function yo(e,t){if(!t)return;let n=t.split(`
`).map(r=>`thingName:${JSON.stringify(r)}`).join(" OR "),s=e?`(${e}) AND (${n})`:n;return s.length<=4096?s:e}function _o(e){return e.position===void 0||e.position<0||e.position>e.query.length?a`<p>${e.message}</p>`:a`<p>At character ${e.position+1}: ${e.message}</p>
    <pre class="caret" aria-hidden="true">${e.query}\n${" ".repeat(e.position)}^</pre>`}function hn({name:e,password:t,onDone:n}){let[s,r]=f();w(()=>{_("/console/api/node").then(p=>r(p.mqtt)).catch(()=>r({}))},[]);let o=location.hostname.includes(":")?`[${location.hostname}]`:location.hostname,i=s?.mqtt??s?.mqtts??1883,l=s?.mqtt===void 0&&s?.mqtts!==void 0?" --cafile node-ca.pem":"",u=`mosquitto_pub -h ${o} -p ${i}${l} -i ${e} -u ${e} -P '${t}' -t '$umbra/things/${e}/shadow/update' -m '{"state":{"reported":{"online":true}}}'`;return a`<section class="card once" aria-labelledby="once-title" data-testid="new-device">
    <h2 id="once-title">Device ${e} added</h2>
    <p class="warn-text" role="status">Copy the password now: it is shown only once and stored only as a hash.</p>
    <${pt} label="User name" value=${e} />
    <${pt} label="Password" value=${t} testid="new-password" />
    ${s?a`<${pt} label="Try it with mosquitto_pub" value=${u} testid="mosquitto-line" />`:null}
    <button onClick=${n}>Done, I stored it</button>
  </section>`}function pt({label:e,value:t,testid:n}){let[s,r]=f(!1);return a`<div class="copyable">
    <span class="label">${e}</span>
    <code data-testid=${n}>${t}</code>
    <button type="button" onClick=${async()=>{try{await navigator.clipboard.writeText(t),r(!0),setTimeout(()=>r(!1),1500)}catch{}}} aria-label=${`Copy ${e}`}>${s?"Copied":"Copy"}</button>
  </div>`}function vo(e){return e.revokedAt!==null?a`<span class="badge off">revoked ${N(e.revokedAt/1e3)}</span>`:a`<span class="badge ok">active</span>${e.previousPasswordUntil?a` <span class="badge warn" data-testid="grace">old password until ${N(e.previousPasswordUntil/1e3)}</span>`:null}`}function gn({session:e}){let[t,n]=f(),[s,r]=f(),[o,i]=f(),[l,u]=f(),p=W(e),c=()=>_("/identities").then(d=>n(d.identities)).catch(d=>r(d instanceof P?d.message:String(d)));w(()=>{c()},[]);let m=async d=>{d.preventDefault();let g=d.target,$=String(new FormData(g).get("name")??"").trim();r(void 0);try{let y=await _("/identities",{method:"POST",body:{name:$}});i(y),g.reset(),c()}catch(y){r(y instanceof P?y.message:String(y))}},h=async d=>{u(void 0);try{await _(`/identities/${b(d)}`,{method:"DELETE"}),o?.name===d&&i(void 0),c()}catch(g){r(g instanceof P?g.message:String(g))}};return a`
    <h1>Identities</h1>
    <p class="hint" data-testid="rotate-help">To give an identity a new password, run on the node: <code>umbra device rotate <var>thing</var></code> (users: <code>umbra user rotate <var>name</var></code>);
      add <code>--grace 1h</code> to keep the old password working while devices are re-provisioned.
      Rotation is not offered here: it is done on the node's command line only (docs/security.md).</p>
    ${p?a`<form class="card row" onSubmit=${m} aria-labelledby="add-title">
          <h2 id="add-title">Add a device</h2>
          <label>Thing name <input name="name" required pattern="[a-zA-Z0-9:_\\-]{1,128}" placeholder="pdu-12" /></label>
          <button type="submit" class="primary">Add device</button>
        </form>`:null}
    ${o?a`<${hn} name=${o.name} password=${o.password} onDone=${()=>i(void 0)} />`:null}
    ${s?a`<p class="error" role="alert">${s}</p>`:null}
    ${t?a`<div class="scroll" tabindex="0"><table data-testid="identities-table">
          <caption class="sr-only">Identities</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Things</th><th scope="col">Created</th><th scope="col">Password set</th><th scope="col">Status</th>${p?a`<th scope="col"><span class="sr-only">Actions</span></th>`:null}</tr></thead>
          <tbody>${t.map(d=>a`<tr key=${d.name} data-identity=${d.name}>
              <th scope="row">${d.name}</th><td>${d.role}</td><td><code>${d.things}</code></td><td>${N(d.createdAt/1e3)}</td>
              <td data-col="password-set">${d.passwordSetAt===void 0?"\u2014":N(d.passwordSetAt/1e3)}</td>
              <td data-col="status">${vo(d)}</td>
              ${p?a`<td>${d.role==="device"&&d.revokedAt===null?l===d.name?a`<span class="confirm">Revoke ${d.name}?
                            <button class="danger" onClick=${()=>h(d.name)}>Yes, revoke</button>
                            <button onClick=${()=>u(void 0)}>Cancel</button></span>`:a`<button onClick=${()=>u(d.name)} aria-label=${`Revoke ${d.name}`}>Revoke</button>`:null}</td>`:null}
            </tr>`)}</tbody>
        </table></div>`:a`<p>Loading identities…</p>`}
  `}function bn({session:e}){let{data:t,error:n,reload:s}=j("/claims",5e3),[r,o]=f(),[i,l]=f({things:"",reason:"",hours:"2"}),u=W(e),p=h=>h.then(()=>{o(void 0),s()}).catch(d=>o(I(d))),c=h=>{h.preventDefault(),p(_("/claims",{method:"POST",body:{things:i.things.split(/[\s,]+/).filter(Boolean),reason:i.reason,durationSeconds:Math.round(Number(i.hours)*3600)}}))},m=h=>d=>l({...i,[h]:d.target.value});return a`<section aria-labelledby="h-claims" data-testid="claims">
    <h2 id="h-claims">Maintenance claims</h2>
    ${n||r?a`<p class="error" role="alert">${r??n}</p>`:null}
    ${t?t.claims.length===0?a`<p class="empty">No active claims.</p>`:a`<div class="scroll" tabindex="0"><table data-testid="claims-table">
            <caption class="sr-only">Active maintenance claims</caption>
            <thead><tr><th scope="col">Claim</th><th scope="col">Owner</th><th scope="col">Things and systems</th><th scope="col">Reason</th><th scope="col">Until</th>${u?a`<th scope="col"><span class="sr-only">Actions</span></th>`:null}</tr></thead>
            <tbody>${t.claims.map(h=>a`<tr key=${h.id} data-claim=${h.id}>
                <th scope="row">${h.id}</th><td>${h.owner}</td>
                <td>${[...h.things,...h.systems.map(d=>`system ${d}`)].join(", ")}</td>
                <td>${h.reason}</td><td>${N(h.until)}</td>
                ${u?a`<td><button onClick=${()=>p(_(`/claims/${b(h.id)}`,{method:"DELETE"}))}>Release</button></td>`:null}
              </tr>`)}</tbody>
          </table></div>`:null}
    ${u?a`<form class="toolbar" onSubmit=${c}>
          <label>Things to claim <input name="claim-things" value=${i.things} onInput=${m("things")} placeholder="pdu-1, rack-a-*" /></label>
          <label>Reason <input name="claim-reason" value=${i.reason} onInput=${m("reason")} /></label>
          <label>Hours <input name="claim-hours" type="number" min="0.1" step="0.1" value=${i.hours} onInput=${m("hours")} /></label>
          <button type="submit">Add claim</button>
        </form>`:null}
  </section>`}var mt=e=>e===void 0?"absent":JSON.stringify(e);function wo(e,t){let n;try{n=JSON.parse(e.body||"")}catch{return`The ${e.kind} is not valid JSON`}let s=e.target?.trim()??"";if(!s)return"Name a target";let o={target:e.targetKind==="things"?{things:s.split(/[\s,]+/).filter(Boolean)}:{[e.targetKind]:s},[e.kind==="command"?"command":"patch"]:n,confirm:t};return e.shadow?.trim()&&(o.shadow=e.shadow.trim()),e.description?.trim()&&(o.description=e.description.trim()),e.batchSize?.trim()&&(o.rollout={batchSize:Number(e.batchSize)}),o}function $n(){let[e,t]=f({targetKind:"q",kind:"patch",body:"{}",batchSize:"5"}),[n,s]=f(!1),[r,o]=f(),[i,l]=f(),[u,p]=f(!1),c=d=>g=>{t({...e,[d]:g.target.value}),o(void 0)},m=d=>{d.preventDefault();let g=wo(e,n);if(typeof g=="string")return l(g);p(!0),_("/jobs/dry-run",{method:"POST",body:g}).then($=>{o({doc:g,result:$}),l(void 0)}).catch($=>l(I($))).finally(()=>p(!1))},h=()=>{r&&(p(!0),_("/jobs",{method:"POST",body:r.doc}).then(d=>{location.hash=`#/jobs/${encodeURIComponent(d.id)}`}).catch(d=>l(I(d))).finally(()=>p(!1)))};return a`<section class="panel wide" aria-labelledby="h-dry-run" data-testid="dry-run">
    <h2 id="h-dry-run">Plan a job</h2>
    <form class="job-form" onSubmit=${m}>
      <label>Target
        <select aria-label="Target kind" value=${e.targetKind} onChange=${c("targetKind")}>
          <option value="q">fleet query</option><option value="system">system</option><option value="things">things (comma-separated)</option>
        </select>
      </label>
      <label class="grow">Target value <input name="target" value=${e.target??""} onInput=${c("target")} /></label>
      <label>Write
        <select aria-label="What to write" value=${e.kind} onChange=${c("kind")}><option value="patch">desired patch</option><option value="command">one-shot command</option></select>
      </label>
      <label class="grow">Desired JSON <textarea name="body" rows="3" spellcheck=${!1} value=${e.body} onInput=${c("body")}></textarea></label>
      <label>Named shadow <input name="shadow" value=${e.shadow??""} onInput=${c("shadow")} placeholder="classic" /></label>
      <label>Batch size <input name="batchSize" type="number" min="1" value=${e.batchSize} onInput=${c("batchSize")} /></label>
      <label class="grow">Description <input name="description" value=${e.description??""} onInput=${c("description")} /></label>
      <label class="check"><input type="checkbox" checked=${n} onChange=${d=>{s(d.target.checked),o(void 0)}} /> Confirm destructive values</label>
      <button type="submit" disabled=${u}>Dry run</button>
    </form>
    ${i?a`<p class="error" role="alert">${i}</p>`:null}
    ${r?a`<${ko} result=${r.result} busy=${u} onStart=${h} />`:null}
  </section>`}function ko({result:e,busy:t,onStart:n}){let s=Object.entries(e.refused);return a`<div data-testid="plan">
    <p role="status">
      ${e.things} things: <strong>${e.wouldChange}</strong> would change, ${e.wouldWait} already desired (waiting for the device), ${e.noop} nothing to do${s.length>0?`, refused: ${s.map(([r,o])=>`${o} ${r}`).join(", ")}`:""}.
    </p>
    ${e.confirmRequired?a`<p class="error">Destructive values (${e.destructive.join(", ")}): tick “Confirm destructive values” to run this job.</p>`:null}
    <div class="scroll" tabindex="0"><table data-testid="plan-table">
      <caption class="sr-only">What the job would do to each thing</caption>
      <thead><tr><th scope="col">Thing</th><th scope="col">Outcome</th><th scope="col">Leaves: desired now → written (reported now)</th></tr></thead>
      <tbody>${e.plans.map(r=>a`<tr key=${r.thing} data-thing=${r.thing}>
          <th scope="row">${r.thing}</th>
          <td data-col="outcome" class="wrap">${r.refused?a`<span class="badge bad">refused: ${r.refused.code}</span> ${r.refused.reason}`:r.changes.length>0?a`<span class="badge warn">would write</span>`:r.pending.length>0?"waiting for the device":a`<span class="badge ok">no change</span>`}</td>
          <td><ul class="ops">${[...r.changes,...r.pending].map(o=>a`<li><code>${o.path}</code>: ${mt(o.desired)} → ${mt(o.to)} (reported ${mt(o.reported)})</li>`)}</ul></td>
        </tr>`)}</tbody>
    </table></div>
    <button class="primary" disabled=${t||e.confirmRequired||e.things===0} onClick=${n}>Start this job</button>
  </div>`}var ft=["pending","skipped","writing","waiting","converged","failed","cancelled"];var ht=e=>e.state!=="running"&&e.state!=="paused";function Ie(e){return e.q!==void 0?`query ${e.q}`:e.system!==void 0?`system ${e.system}`:`things ${(e.things??[]).join(", ")}`}function be(e){return e==="succeeded"||e==="converged"?"badge ok":e==="failed"||e==="aborted"?"badge bad":e==="running"||e==="waiting"||e==="writing"?"badge warn":"badge off"}function yn({id:e,session:t}){let[n,s]=f(),[r,o]=f([]),[i,l]=f(),[u,p]=f(!1),[c,m]=f(!1),h=`/jobs/${b(e)}`;w(()=>{let g,$=!1,y=!1,k=S=>o(T=>{let B=T.findIndex(J=>J.thing===S.thing);if(B<0)return[...T,S];let U=T.slice();return U[B]=S,U});_(h).then(S=>{$||(s(S),o(S.things),!ht(S)&&(g=V.follow({what:{job:e},following:()=>!y&&p(!0),on:(T,B)=>{let{key:U,...J}=B;T==="job"?s(J):T==="thing"?k(J):T==="end"&&(y=!0,s(J),g?.(),p(!1))}})))}).catch(S=>!$&&l(I(S)));let v=V.onStatus(S=>S==="lost"&&p(!1));return()=>{$=!0,v(),g?.()}},[e]);let d=g=>{m(!0),_(`${h}/${g}`,{method:"POST"}).then($=>{s(y=>({...y,...$})),l(void 0)}).catch($=>l(I($))).finally(()=>m(!1))};return a`
    <p class="crumbs"><a href="#/jobs">Jobs</a> / ${e}</p>
    <h1>Job ${e}</h1>
    ${i?a`<p class="error" role="alert">${i}</p>`:null}
    ${n?a`
      <p class="meta" data-testid="job-state">
        <span class=${be(n.state)}>${n.state}</span>
        ${u?a` <span class="badge ok">live</span>`:null}
        ${n.reason?` \u2014 ${n.reason}`:""}
      </p>
      <dl class="facts">
        <dt>Target</dt><dd>${Ie(n.target)}${n.shadow?` (shadow ${n.shadow})`:""}</dd>
        <dt>${n.command?"Command":"Patch"}</dt><dd><code>${z(n.command??n.patch)}</code></dd>
        <dt>Created</dt><dd>${N(n.createdAt)} by ${n.createdBy}</dd>
        <dt>Batch</dt><dd>${n.batch+1}</dd>
        ${n.description?a`<dt>Description</dt><dd>${n.description}</dd>`:null}
      </dl>
      <ul class="counts" aria-label="Progress" data-testid="job-counts">
        <li>total <strong>${n.counts.total}</strong></li>
        ${ft.map(g=>a`<li data-count=${g}>${g} <strong>${n.counts[g]??0}</strong></li>`)}
      </ul>
      ${W(t)&&!ht(n)?a`<div class="toolbar">
            ${n.state==="running"?a`<button disabled=${c} onClick=${()=>d("pause")}>Pause</button>`:a`<button disabled=${c} onClick=${()=>d("resume")}>Resume</button>`}
            <button class="danger" disabled=${c} onClick=${()=>confirm(`Cancel job ${e}? Things not started yet will not be touched.`)&&d("cancel")}>Cancel job</button>
          </div>`:null}
      <div class="scroll" tabindex="0"><table data-testid="job-things">
        <caption class="sr-only">Things of this job</caption>
        <thead><tr><th scope="col">Thing</th><th scope="col">Status</th><th scope="col">Written</th><th scope="col">Reason</th><th scope="col">Started</th><th scope="col">Finished</th></tr></thead>
        <tbody>${r.map(g=>a`<tr key=${g.thing} data-thing=${g.thing}>
            <th scope="row"><a href=${G(g.thing)}>${g.thing}</a></th>
            <td data-col="status"><span class=${be(g.status)}>${g.status}</span></td>
            <td>${g.written?"yes":"no"}</td>
            <td>${g.reason??"\u2014"}</td>
            <td>${g.startedAt?N(g.startedAt/1e3):"\u2014"}</td>
            <td>${g.finishedAt?N(g.finishedAt/1e3):"\u2014"}</td>
          </tr>`)}</tbody>
      </table></div>`:i?null:a`<p>Loading job…</p>`}
  `}var So=3e3,gt=e=>`#/jobs/${encodeURIComponent(e)}`;function _n({route:e,session:t}){let n=e.args[0];return n?a`<${yn} key=${n} id=${n} session=${t} />`:a`<${xo} session=${t} />`}function xo({session:e}){let{data:t,error:n}=j("/jobs",So),s=t?[...t.jobs].sort((r,o)=>o.createdAt-r.createdAt):void 0;return a`
    <h1>Jobs</h1>
    ${n?a`<p class="error" role="alert">${n}</p>`:null}
    ${s?s.length===0?a`<p class="empty">No jobs yet.</p>`:a`<div class="scroll" tabindex="0"><table data-testid="jobs-table">
            <caption class="sr-only">Jobs, newest first</caption>
            <thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Target</th><th scope="col">Progress</th><th scope="col">By</th><th scope="col">Created</th><th scope="col">Description</th></tr></thead>
            <tbody>${s.map(r=>a`<tr key=${r.id} data-job=${r.id}>
                <th scope="row"><a href=${gt(r.id)}>${r.id}</a></th>
                <td><span class=${be(r.state)}>${r.state}</span></td>
                <td>${Ie(r.target)}</td>
                <td>${r.counts.converged??0} converged, ${r.counts.failed??0} failed, ${r.counts.skipped??0} skipped of ${r.counts.total}</td>
                <td>${r.createdBy}</td>
                <td>${N(r.createdAt)}</td>
                <td>${r.description??"\u2014"}</td>
              </tr>`)}</tbody>
          </table></div>`:n?null:a`<p>Loading jobs…</p>`}
    ${W(e)?a`<${$n} />`:null}
    <${bn} session=${e} />
  `}var To=["24h","7d","30d"];function vn({route:e}){let t=e.args[0]??"",n=e.query.get("since")??"7d",{data:s,error:r}=j(`/systems/${b(t)}/review?since=${b(n)}`,1e4);return a`
    <p class="crumbs"><a href="#/systems">Systems</a> / <a href=${`#/systems/${b(t)}`}>${t}</a> / review</p>
    <h1>Review of ${t}</h1>
    <nav class="tabs" aria-label="Period">
      ${To.map(o=>a`<a href=${`#/review/${b(t)}?since=${o}`} aria-current=${o===n?"page":void 0}>last ${o}</a>`)}
    </nav>
    ${r?a`<p class="error" role="alert">${r}</p>`:null}
    ${s?a`
      <p class="meta" data-testid="review-summary">From ${N(s.since/1e3)} to ${N(s.until/1e3)}: <strong>${s.raised.raises}</strong> raises of ${s.raised.alarms} alarms.</p>
      <h2>Still open (${s.stillOpen.length})</h2>
      ${s.stillOpen.length===0?a`<p class="empty">None.</p>`:a`<${lt} alarms=${s.stillOpen} editable=${!1} />`}
      <h2>Never acknowledged (${s.neverAcknowledged.length})</h2>
      ${s.neverAcknowledged.length===0?a`<p class="empty">None.</p>`:a`<ul>${s.neverAcknowledged.map(o=>a`<li>${o.id}: ${o.summary}</li>`)}</ul>`}
      <h2>Most flapping</h2>
      ${s.mostFlapping.length===0?a`<p class="empty">None raised more than once.</p>`:a`<ul>${s.mostFlapping.map(o=>a`<li>${o.id}: raised ${o.raises} times</li>`)}</ul>`}
      <h2>Longest not converged</h2>
      ${s.longestNotConverged.length===0?a`<p class="empty">Every thing converged.</p>`:a`<ul>${s.longestNotConverged.map(o=>a`<li><a href=${G(o.thing)}>${o.thing}</a>: desired pending for ${le(o.pendingSeconds*1e3)}</li>`)}</ul>`}
      <h2>Jobs</h2>
      ${s.jobs===null?a`<p class="empty">Jobs are not enabled on this node.</p>`:s.jobs.length===0?a`<p class="empty">No jobs touched this system.</p>`:a`<ul>${s.jobs.map(o=>a`<li><a href=${gt(o.id)}>${o.id}</a> (${o.state}) by ${o.creator}: ${o.written} of ${o.things} things written</li>`)}</ul>`}`:r?null:a`<p>Loading review…</p>`}
  `}var wn=2e3;function kn(e){let[t,n]=f(),[s,r]=f();return w(()=>{let o=!1,i,l=()=>_("/peers").then(u=>{o||(n(u),r(void 0))}).catch(u=>!o&&r(u instanceof P?u.message:String(u))).finally(()=>{o||(i=setTimeout(l,wn))});return l(),()=>{o=!0,clearTimeout(i)}},[]),a`
    <h1>Sites</h1>
    ${t?a`<p class="meta">This node is site <strong>${t.site}</strong>. Refreshed every ${wn/1e3} s.</p>`:null}
    ${s?a`<p class="error" role="alert">${s}</p>`:null}
    ${t?t.peers.length===0?a`<p class="empty">No relay peers: this node neither dials a parent nor has children connected (docs/relay.md).</p>`:a`<div class="scroll" tabindex="0"><table data-testid="peers-table">
            <caption class="sr-only">Relay peers</caption>
            <thead><tr>
              <th scope="col">Peer</th><th scope="col">Side</th><th scope="col">Link</th><th scope="col">Last contact</th>
              <th scope="col">Lag</th><th scope="col">Pending changes</th><th scope="col">Pending bytes</th>
              <th scope="col">Sent</th><th scope="col">Received</th><th scope="col">Retried frames</th><th scope="col">Denied</th><th scope="col">Epoch splits</th>
            </tr></thead>
            <tbody>${t.peers.map(o=>a`<tr key=${o.peer}>
                <th scope="row">${o.peer}${o.site&&o.site!==o.peer?` (${o.site})`:""}</th>
                <td>${o.side}</td>
                <td>${o.connected?a`<span class="badge ok">connected</span>`:a`<span class="badge off">down</span>`}</td>
                <td>${o.lastContact===null?"never":Y(o.lastContact/1e3)}</td>
                <td>${le(o.lagMs)}</td>
                <td>${o.pendingChanges}</td>
                <td>${Le(o.pendingBytes)}</td>
                <td>${Le(o.bytesSent)} · ${o.changesSent} changes</td>
                <td>${Le(o.bytesReceived)} · ${o.changesReceived} changes</td>
                <td>${o.framesRetried}</td>
                <td>${o.denied}</td>
                <td>${o.epochSplits>0?a`<span class="badge off">${o.epochSplits}</span>`:"0"}</td>
              </tr>`)}</tbody>
          </table></div>
          ${Co(t.peers)}`:a`<p>Loading peers…</p>`}
  `}function Co(e){let t=e.filter(n=>n.epochSplits>0);return t.length===0?null:a`<div class="error" role="alert" data-testid="epoch-splits">${t.map(n=>a`<p key=${n.peer}><strong>${n.peer}</strong>: ${Eo(n.splitShadows)} with two bases for one epoch: two sites cut them; set <code>epochShared: false</code> on all but one of the parents that share them.</p>`)}</div>`}function Eo(e){let t=e.slice(0,5).join(", ")+(e.length>5?", \u2026":"");return`${e.length} ${e.length===1?"shadow":"shadows"} (${t})`}var Me=5e3,Po=8,Sn=e=>`#/systems/${b(e)}`,Ro=e=>`#/?q=${b(`systems:${/^[A-Za-z0-9_.$/+-]+$/.test(e)?e:JSON.stringify(e)}`)}`;function xn({route:e}){let t=e.args[0];return t?a`<${Ao} key=${t} name=${t} />`:a`<${Lo} />`}function Lo(){let e=j("/systems",Me),[t,n]=f(),[s,r]=f();w(()=>{if(!e.data)return;let i=e.data.results,l=new Set(i.flatMap(p=>p.systems)),u=i.filter(p=>!l.has(p.name));Promise.all(u.map(p=>_(`/systems/${b(p.name)}/rollup?depth=${Po}`))).then(p=>{n(p),r(void 0)}).catch(p=>r(I(p)))},[e.data]);let o=e.error??s;return a`
    <h1>Systems</h1>
    <p class="meta">Things, connected, not converged, conflicts, unreachable and open alarms below each system (a thing counts once). Refreshed every ${Me/1e3} s.</p>
    ${o?a`<p class="error" role="alert">${o}</p>`:null}
    ${t===void 0?o?null:a`<p>Loading systems…</p>`:t.length===0?a`<p class="empty">No systems yet: <code>umbra systems set &lt;name&gt; …</code> (docs/fleet.md).</p>`:a`<${Tn} rows=${t.flatMap(i=>bt(i,0))} caption="Systems and their roll-ups" />`}
  `}function bt(e,t){let n="systems"in e?e.systems:[];return[{r:e,level:t},...n.flatMap(s=>bt(s,t+1))]}function Tn({rows:e,caption:t}){return a`<div class="scroll" tabindex="0"><table data-testid="systems-table">
    <caption class="sr-only">${t}</caption>
    <thead><tr>
      <th scope="col">System</th><th scope="col">Things</th><th scope="col">Connected</th><th scope="col">Not converged</th>
      <th scope="col">Oldest delta</th><th scope="col">Conflicts</th><th scope="col">Unreachable</th><th scope="col">Open alarms</th>
    </tr></thead>
    <tbody>${e.map(({r:n,level:s})=>{let r="things"in n?n:void 0;return a`<tr key=${`${s}/${n.name}`} data-system=${n.name}>
        <th scope="row" style=${`padding-left: ${.5+s*1.25}rem`}><a href=${Sn(n.name)}>${s>0?"\u2514 ":""}${n.name}</a></th>
        ${r?a`<td data-col="things">${r.things}</td><td data-col="connected">${r.connected}</td>
              <td data-col="notConverged">${r.notConverged>0?a`<span class="badge warn">${r.notConverged}</span>`:0}</td>
              <td>${r.oldestDeltaSeconds>0?le(r.oldestDeltaSeconds*1e3):"\u2014"}</td>
              <td data-col="conflicts">${r.conflicts>0?a`<span class="badge bad">${r.conflicts}</span>`:0}</td>
              <td data-col="unreachable">${r.unreachable>0?a`<span class="badge bad">${r.unreachable}</span>`:0}</td>
              <td data-col="alarms">${r.alarms?r.alarms.open>0?a`<a class="badge bad" href=${`#/alarms?system=${b(n.name)}`}>${r.alarms.open}</a>`:0:"\u2014"}</td>`:a`<td colspan="7">deeper than shown: open the system</td>`}
      </tr>`})}</tbody>
  </table></div>`}function Ao({name:e}){let t=j(`/systems/${b(e)}`,Me),n=j(`/systems/${b(e)}/rollup?depth=1`,Me),s=t.error??n.error;return a`
    <p class="crumbs"><a href="#/systems">Systems</a> / ${e}</p>
    <h1>${e}</h1>
    ${s?a`<p class="error" role="alert">${s}</p>`:null}
    ${t.data?.description?a`<p>${t.data.description}</p>`:null}
    <p class="links">
      <a href=${Ro(e)}>Its things in the fleet</a> ·
      <a href=${`#/alarms?system=${b(e)}`}>Its alarms</a> ·
      <a href=${`#/review/${b(e)}`}>Review</a>
    </p>
    ${n.data?a`<${Tn} rows=${bt(n.data,0)} caption=${`Roll-up of ${e} and its subsystems`} />`:s?null:a`<p>Loading…</p>`}
    ${t.data?a`<dl class="facts">
          <dt>Query</dt><dd>${t.data.query?a`<code>${t.data.query}</code>`:"\u2014"}</dd>
          <dt>Things named</dt><dd>${t.data.things.length>0?t.data.things.join(", "):"\u2014"}</dd>
          <dt>Subsystems</dt><dd>${t.data.systems.length>0?t.data.systems.map((r,o)=>a`${o>0?", ":""}<a href=${Sn(r)}>${r}</a>`):"\u2014"}</dd>
        </dl>`:null}
  `}function Cn({thing:e,shadow:t,doc:n}){let[s,r]=f(()=>z(n?.state.desired??{})),[o,i]=f(n?.version),[l,u]=f(!1),[p,c]=f(!0),[m,h]=f();return w(()=>{l||(r(z(n?.state.desired??{})),i(n?.version))},[n,l]),a`<form class="card editor" onSubmit=${async g=>{g.preventDefault();let $;try{$=JSON.parse(s)}catch(k){h({kind:"error",text:`Not valid JSON: ${k.message}`});return}let y={state:{desired:$}};p&&o!==void 0&&(y.version=o);try{let k=await _(`/things/${b(e)}/shadow${t?`?name=${b(t)}`:""}`,{method:"POST",body:y});h({kind:"ok",text:`Accepted: version ${k.version}`}),u(!1)}catch(k){k instanceof P&&k.status===409?h({kind:"conflict",text:`Version conflict (409): you edited version ${o}, but the shadow is now at version ${n?.version??"?"}. Nothing was changed. Reload the current desired state and apply your edit again.`}):h({kind:"error",text:k instanceof P?`${k.status}: ${k.message}`:String(k)})}}} aria-labelledby="edit-title" data-testid="desired-editor">
    <h2 id="edit-title">Edit desired</h2>
    <label for="desired-json"><span>Desired state (JSON, merged: <code>null</code> deletes a key)</span></label>
    <textarea id="desired-json" rows="8" spellcheck="false" value=${s}
      onInput=${g=>{r(g.target.value),u(!0)}}></textarea>
    <div class="row">
      <label class="inline"><input type="checkbox" checked=${p} onChange=${g=>c(g.target.checked)} />
        Only if still at version ${o??"\u2014"}</label>
      <button type="submit" class="primary">Save desired</button>
      ${l?a`<button type="button" onClick=${()=>{u(!1),h(void 0)}}>Reload current</button>`:null}
    </div>
    ${m?a`<p class=${m.kind==="ok"?"ok":"error"} role=${m.kind==="ok"?"status":"alert"} data-testid="save-status">${m.text}</p>`:null}
  </form>`}var $e=(e,t)=>[e,...t].join(".");function En(e){let t=[];for(let n of["desired","reported"])for(let s of e[n]??[])t.push(s.op==="set"?`${$e(n,s.path)} = ${JSON.stringify(s.value)}`:`${$e(n,s.path)} deleted`);return t}function Oe(e){return e.identity?`${e.identity.name} (${e.identity.role})`:e.kind==="merge"?"merged":"\u2014"}function Fe(e){return`${e.site??"\u2014"}${e.via?` via ${e.via}`:""}`}function je(e){return e.replace("T"," ").replace(/\.\d+Z$/,"Z")}function Pn({thing:e,shadow:t,version:n}){let s=t?`?name=${b(t)}`:"",{data:r,error:o,reload:i}=j(`/things/${b(e)}/shadow/blame${s}`),l=H(n);if(w(()=>{l.current!==n&&i(),l.current=n},[n]),o)return a`<p class="error" role="alert">${o}</p>`;if(!r)return a`<p>Loading blame…</p>`;let u=[...(r.desired??[]).map(p=>({section:"desired",l:p})),...(r.reported??[]).map(p=>({section:"reported",l:p}))];return u.length===0?a`<p class="empty">No leaves.</p>`:a`<div class="scroll" tabindex="0"><table data-testid="blame-table">
    <caption class="sr-only">Who last wrote each leaf</caption>
    <thead><tr><th scope="col">Leaf</th><th scope="col">Value</th><th scope="col">Version</th><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Site</th><th scope="col">Client token</th></tr></thead>
    <tbody>${u.map(({section:p,l:c})=>{let m=[p,...c.path].join("."),h=c.change;return a`<tr key=${m} data-leaf=${m}>
        <th scope="row"><code>${m}</code></th>
        <td>${JSON.stringify(c.value)}</td>
        ${h?a`<td>${h.version}</td><td>${je(h.time)}</td><td>${Oe(h)}</td><td>${Fe(h)}</td><td><code>${h.clientToken??"\u2014"}</code></td>`:a`<td colspan="5">${c.pruned?"pruned by retention":"\u2014"}</td>`}
      </tr>`})}</tbody>
  </table></div>`}var Rn=e=>e===void 0?a`<span class="empty">absent</span>`:JSON.stringify(e);function Ln(e){let{thing:t,shadow:n,from:s,to:r,onClose:o}=e,i=n?`&name=${b(n)}`:"",{data:l,error:u}=j(`/things/${b(t)}/shadow/diff?from=${b(s)}&to=${b(r)}${i}`),p=l?[...l.desired.map(c=>({leaf:$e("desired",c.path),c})),...l.reported.map(c=>({leaf:$e("reported",c.path),c}))]:[];return a`<section class="panel wide" aria-labelledby="h-diff" data-testid="diff">
    <h3 id="h-diff">Diff ${l?`v${l.from.version} \u2192 v${l.to.version}`:`${s} \u2192 ${r}`}</h3>
    ${u?a`<p class="error" role="alert">${u}</p>`:null}
    ${l?p.length===0?a`<p class="empty">No leaf differs.</p>`:a`<table><caption class="sr-only">Leaves that differ</caption>
            <thead><tr><th scope="col">Leaf</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
            <tbody>${p.map(({leaf:c,c:m})=>a`<tr key=${c}><th scope="row"><code>${c}</code></th><td class="before">${Rn(m.before)}</td><td class="after">${Rn(m.after)}</td></tr>`)}</tbody>
          </table>`:u?null:a`<p>Loading…</p>`}
    <button onClick=${o}>Close</button>
  </section>`}var An=20;function Dn({thing:e,shadow:t,version:n}){let[s,r]=f(),[o,i]=f(),[l,u]=f(),[p,c]=f(),[m,h]=f(),[d,g]=f("timeline"),$=t?`&name=${b(t)}`:"",y=`/things/${b(e)}/shadow`;w(()=>{let v=!1;return _(`${y}/history?limit=${An}${$}`).then(S=>{v||(r(S.records),i(S.nextCursor),u(void 0))}).catch(S=>!v&&u(I(S))),()=>{v=!0}},[e,t,n]);let k=()=>o&&_(`${y}/history?limit=${An}${$}&cursor=${b(o)}`).then(v=>{r(S=>[...S??[],...v.records]),i(v.nextCursor)}).catch(v=>u(I(v)));return a`<section class="history" aria-labelledby="h-history" data-testid="history">
    <h2 id="h-history">History</h2>
    <nav class="tabs" aria-label="History views">
      <button aria-pressed=${d==="timeline"} onClick=${()=>g("timeline")}>Timeline</button>
      <button aria-pressed=${d==="blame"} onClick=${()=>g("blame")}>Blame</button>
    </nav>
    ${l?a`<p class="error" role="alert">${l}</p>`:null}
    ${d==="blame"?a`<${Pn} thing=${e} shadow=${t} version=${n} />`:null}
    ${d==="timeline"&&s===void 0&&!l?a`<p>Loading history…</p>`:null}
    ${d==="timeline"&&s?a`
          <${No} key=${`${e}/${t}`} latest=${s[0]?.version} onDiff=${(v,S)=>c({from:v,to:S})} />
          ${p?a`<${Ln} thing=${e} shadow=${t} from=${p.from} to=${p.to} onClose=${()=>c(void 0)} />`:null}
          ${m!==void 0?a`<${Io} thing=${e} shadow=${t} version=${m} onClose=${()=>h(void 0)} />`:null}
          ${s.length===0?a`<p class="empty">No change recorded.</p>`:a`<${Do} records=${s} onDiff=${c} onView=${h} />`}
          ${o?a`<button onClick=${k}>Older changes</button>`:null}`:null}
  </section>`}function Do(e){let{records:t,onDiff:n,onView:s}=e;return a`<div class="scroll" tabindex="0"><table data-testid="history-table">
    <caption class="sr-only">Changes of this shadow, newest first</caption>
    <thead><tr>
      <th scope="col">Version</th><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Site</th>
      <th scope="col">Client token</th><th scope="col">What changed</th><th scope="col"><span class="sr-only">Actions</span></th>
    </tr></thead>
    <tbody>${t.map((r,o)=>{let i=t[o+1]?.version??(r.version>1?r.version-1:void 0);return a`<tr key=${r.version} data-version=${r.version}>
        <th scope="row">${r.version}</th>
        <td>${je(r.time)}</td>
        <td>${Oe(r)}</td>
        <td>${Fe(r)}</td>
        <td><code>${r.clientToken??"\u2014"}</code></td>
        <td><ul class="ops">${En(r).map(l=>a`<li>${l}</li>`)}${r.kind==="delete"?a`<li>shadow deleted</li>`:null}</ul></td>
        <td class="actions">
          <button onClick=${()=>s(r.version)}>View v${r.version}</button>
          ${i!==void 0?a`<button onClick=${()=>n({from:String(i),to:String(r.version)})}>Diff v${i}…v${r.version}</button>`:null}
        </td>
      </tr>`})}</tbody>
  </table></div>`}function No({latest:e,onDiff:t}){let[n,s]=f(e&&e>1?String(e-1):"1"),[r,o]=f(e?String(e):"1");return a`<form class="toolbar" onSubmit=${i=>{i.preventDefault(),t(n.trim(),r.trim())}}>
    <label>Compare version or time <input name="from" value=${n} size="22" onInput=${i=>s(i.target.value)} /></label>
    <label>with <input name="to" value=${r} size="22" onInput=${i=>o(i.target.value)} /></label>
    <button type="submit">Show diff</button>
  </form>`}function Io(e){let{thing:t,shadow:n,version:s,onClose:r}=e,[o,i]=f(),[l,u]=f();return w(()=>{i(void 0),_(`/things/${b(t)}/shadow?at=${s}${n?`&name=${b(n)}`:""}`).then(p=>{i(p),u(void 0)}).catch(p=>u(I(p)))},[t,n,s]),a`<section class="panel wide" aria-labelledby="h-aswas" data-testid="as-it-was">
    <h3 id="h-aswas">The shadow as it was at version ${s}</h3>
    ${l?a`<p class="error" role="alert">${l}</p>`:null}
    ${o?a`<div class="panels">
          <div><h4>Desired</h4><pre tabindex="0">${z(o.state.desired)||"empty"}</pre></div>
          <div><h4>Reported</h4><pre tabindex="0">${z(o.state.reported)||"empty"}</pre></div>
          <div><h4>Delta</h4><pre tabindex="0">${z(o.state.delta)||"in sync"}</pre></div>
        </div>`:l?null:a`<p>Loading…</p>`}
    <button onClick=${r}>Close</button>
  </section>`}var ye=[{path:["type"],label:"Type"},{path:["vendor"],label:"Vendor"},{path:["model"],label:"Model"},{path:["serial"],label:"Serial"},{path:["owner"],label:"Owner"},{path:["location","site"],label:"Site"},{path:["location","room"],label:"Room"},{path:["location","row"],label:"Row"},{path:["location","rack"],label:"Rack"},{path:["location","unit"],label:"Rack unit",numeric:!0}];function de(e,t){let n=e;for(let s of t){if(n===null||typeof n!="object")return;n=n[s]}return n}function $t(e,t){return de(e,t)==="device"?"device":"operator"}function Nn(e){let t=[],n=new Set,s=i=>{let l=i.join(".");if(n.has(l))return;let u=de(e.attributes,i);u===void 0||u!==null&&typeof u=="object"||(n.add(l),t.push({key:l,path:i,value:u,origin:$t(e.origins,i)}))};for(let i of ye)s(i.path);let r=e.attributes.labels;if(r&&typeof r=="object")for(let i of Object.keys(r).sort())s(["labels",i]);let o=(i,l)=>{if(i===null||typeof i!="object")return s(l);for(let[u,p]of Object.entries(i))o(p,[...l,u])};return o(e.attributes,[]),t}function yt(e){let t={};for(let s of ye){let r=de(e,s.path);t[s.path.join(".")]=r==null?"":String(r)}let n=Object.entries(e.labels??{}).sort(([s],[r])=>s<r?-1:s>r?1:0).map(([s,r])=>({name:s,value:String(r)}));return{fields:t,labels:n}}function qe(e,t,n){let s=e;for(let r of t.slice(0,-1))(typeof s[r]!="object"||s[r]===null)&&(s[r]={}),s=s[r];s[t[t.length-1]]=n}function In(e,t){let n={};for(let o of ye){let i=de(e,o.path),l=(t.fields[o.path.join(".")]??"").trim();if(l===""){i!=null&&qe(n,o.path,null);continue}let u=o.numeric&&/^-?\d+$/.test(l)?Number(l):l;u!==i&&qe(n,o.path,u)}let s=e.labels??{},r=new Set;for(let{name:o,value:i}of t.labels){let l=o.trim();l===""&&i===""||(r.add(l),s[l]!==i&&qe(n,["labels",l],i))}for(let o of Object.keys(s))r.has(o)||qe(n,["labels",o],null);return n}function Mo(e,t){return e instanceof P?e.status===409?`Version conflict (409): you edited version ${t}; ${e.message}. Nothing was changed. Reload the current attributes and apply your edit again.`:e.status===403?`Refused (403): ${e.message}`:e.status===400?`Not accepted (400): ${e.message}`:e.status===0?e.message:`${e.message} (${e.status})`:String(e)}function Mn(e){let{thing:t,doc:n,onSaved:s}=e,r=n?.attributes??{},[o,i]=f(()=>yt(r)),[l,u]=f(n?.version??0),[p,c]=f(!1),[m,h]=f(!0),[d,g]=f(!1),[$,y]=f(),k=H(!1),v=C=>{i(yt(C?.attributes??{})),u(C?.version??0)};w(()=>{k.current||v(n)},[n]);let S=C=>{k.current=C,c(C)},T=C=>{i(C),S(!0)},B=(C,R)=>T({...o,fields:{...o.fields,[C]:R}}),U=(C,R)=>T({...o,labels:o.labels.map((D,M)=>M===C?R:D)});return a`<form class="editor" onSubmit=${async C=>{C.preventDefault();let R=In(r,o);if(Object.keys(R).length===0){y({kind:"ok",text:"Nothing changed."});return}g(!0);try{let D=m?`?version=${l}`:"",M=await _(`/things/${b(t)}/attributes${D}`,{method:"PATCH",body:R});y({kind:"ok",text:`Saved: version ${M.version}`}),S(!1),s(M)}catch(D){y({kind:"error",text:Mo(D,l)})}finally{g(!1)}}} aria-labelledby="h-inventory-edit" data-testid="inventory-editor">
    <h3 id="h-inventory-edit">Edit inventory</h3>
    <p class="hint">An emptied field or a removed label deletes the key.</p>
    <div class="inventory-fields">
      ${ye.map(C=>{let R=C.path.join("."),D=n&&de(r,C.path)!==void 0&&$t(n.origins,C.path)==="device";return a`<label>
          <span>${C.label}${D?a` <span class="hint">(filled by device)</span>`:null}</span>
          <input name=${R} inputmode=${C.numeric?"numeric":void 0} value=${o.fields[R]??""}
            onInput=${M=>B(R,M.target.value)} />
        </label>`})}
    </div>
    <fieldset>
      <legend>Labels</legend>
      ${o.labels.map((C,R)=>a`<div class="row" key=${R} data-label-row=${R}>
          <label>Label name <input value=${C.name} aria-label=${`Label name ${R+1}`}
            onInput=${D=>U(R,{...C,name:D.target.value})} /></label>
          <label>Value <input value=${C.value} aria-label=${`Value ${R+1}`}
            onInput=${D=>U(R,{...C,value:D.target.value})} /></label>
          <button type="button" aria-label=${`Remove label ${C.name||R+1}`}
            onClick=${()=>T({...o,labels:o.labels.filter((D,M)=>M!==R)})}>Remove</button>
        </div>`)}
      <button type="button" onClick=${()=>T({...o,labels:[...o.labels,{name:"",value:""}]})}>Add label</button>
    </fieldset>
    <div class="row">
      <label class="inline"><input type="checkbox" checked=${m} onChange=${C=>h(C.target.checked)} />
        Only if still at version ${l}</label>
      <button type="submit" class="primary" disabled=${d}>Save inventory</button>
      ${p?a`<button type="button" onClick=${()=>{S(!1),v(n),y(void 0)}}>Reload current</button>`:null}
    </div>
    ${$?a`<p class=${$.kind} role=${$.kind==="ok"?"status":"alert"} data-testid="inventory-status">${$.text}</p>`:null}
  </form>`}function Oo(e){return e==="device"?a`<span class="badge info" data-origin="device">filled by device</span>`:a`<span class="badge" data-origin="operator">set by operator</span>`}function On({thing:e,editable:t,focus:n}){let[s,r]=f(),[o,i]=f(),l=H(()=>{});w(()=>{let p=!1;return l.current=Ae(()=>_(`/things/${b(e)}/attributes`).then(c=>{p||(r(m=>m&&m.version>c.version?m:c),i(void 0))}).catch(c=>{p||(c instanceof P&&c.status===404?(r(m=>m??null),i(void 0)):i(I(c)))})),l.current(),()=>{p=!0}},[e]),De(`thingName:${JSON.stringify(e)}`,{match:()=>l.current(),unmatch:()=>{},following:()=>l.current()}),w(()=>{n&&s!==void 0&&document.getElementById("inventory")?.scrollIntoView()},[n,s===void 0]);let u=s?Nn(s):[];return a`<section class="card" id="inventory" aria-labelledby="h-inventory" data-testid="inventory">
    <h2 id="h-inventory">Inventory</h2>
    ${o?a`<p class="error" role="alert">${o}</p>`:null}
    ${s===void 0&&!o?a`<p>Loading attributes…</p>`:null}
    ${s?a`<p class="meta" data-testid="inventory-version">Version <strong>${s.version}</strong>, changed ${N(s.updatedAt)}</p>`:null}
    ${s===null?a`<p class="empty">No attributes yet.</p>`:null}
    ${u.length>0?a`<table data-testid="inventory-table">
          <caption class="sr-only">Attributes of ${e}, with who set each</caption>
          <thead><tr><th scope="col">Key</th><th scope="col">Value</th><th scope="col">Set by</th></tr></thead>
          <tbody>${u.map(p=>a`<tr key=${p.key} data-key=${p.key}>
              <th scope="row"><code>${p.key}</code></th><td>${String(p.value)}</td><td>${Oo(p.origin)}</td>
            </tr>`)}</tbody>
        </table>`:null}
    <p class="hint">A device, its bridge or its host agent fills what it knows; a key an operator set is
      never overwritten by a device.${t?" Saving a key here makes it the operator's.":""}</p>
    ${t&&s!==void 0?a`<${Mn} key=${e} thing=${e} doc=${s} onSaved=${p=>r(p)} />`:null}
  </section>`}function Fn(e,t){let[n,s]=f({kind:"loading"}),[r,o]=f(),i=H({version:-1,reread:()=>{}});return w(()=>{s({kind:"loading"}),o(void 0);let l=!1,u={version:-1,reread:()=>{}};i.current=u;let p=`/things/${b(e)}/shadow${t?`?name=${b(t)}`:""}`;return u.reread=Ae(()=>_(p).then(c=>{l||c.version<u.version||(u.version=c.version,c.connection&&o(c.connection),s({kind:"ok",doc:c}))}).catch(c=>{if(!l)if(c instanceof P&&c.status===404)s({kind:"missing"});else{let m=c instanceof P?c.message:String(c);s(h=>h.kind==="ok"?h:{kind:"error",message:m})}})),u.reread(),()=>{l=!0}},[e,t]),ae(l=>{if(l.type==="reconnected")return i.current.reread();if(l.data.thing===e){if(l.type==="presence")return o(l.data.connection);l.data.shadow===t&&(l.data.deleted?(i.current.version=l.data.version??i.current.version,s({kind:"missing"})):(l.data.version??Number.POSITIVE_INFINITY)>i.current.version&&i.current.reread())}},[e,t]),{loaded:n,connection:r}}var ce=720,ee=200,A={left:56,right:12,top:10,bottom:24};function qn({points:e,from:t,to:n,label:s,onSelect:r}){let[o,i]=f();if(e.length===0)return a`<p class="empty">No samples in this range.</p>`;let l=e.map($=>$[1]),u=Math.min(...l),p=Math.max(...l);u===p&&(u-=1,p+=1);let c=$=>A.left+($-t)/(n-t)*(ce-A.left-A.right),m=$=>A.top+(1-($-u)/(p-u))*(ee-A.top-A.bottom),h=e.map(($,y)=>`${y===0?"M":"L"}${c($[0]).toFixed(1)},${m($[1]).toFixed(1)}`).join(""),d=($,y)=>{let k=y.getBoundingClientRect(),v=($-k.left)/k.width*ce;return t+(v-A.left)/(ce-A.left-A.right)*(n-t)},g=e[e.length-1];return a`<figure class="chart">
    <svg viewBox=${`0 0 ${ce} ${ee}`} role="img" aria-label=${`${s}: ${e.length} points, last ${g[1]}`}
      onPointerDown=${$=>{let y=d($.clientX,$.currentTarget);i({a:y,b:y})}}
      onPointerMove=${$=>o&&i({a:o.a,b:d($.clientX,$.currentTarget)})}
      onPointerUp=${()=>{o&&Math.abs(o.b-o.a)>(n-t)/100&&r(Math.min(o.a,o.b),Math.max(o.a,o.b)),i(void 0)}}>
      <line x1=${A.left} y1=${ee-A.bottom} x2=${ce-A.right} y2=${ee-A.bottom} class="axis" />
      <line x1=${A.left} y1=${A.top} x2=${A.left} y2=${ee-A.bottom} class="axis" />
      <text x=${A.left-6} y=${A.top+10} text-anchor="end" class="tick">${jn(p)}</text>
      <text x=${A.left-6} y=${ee-A.bottom} text-anchor="end" class="tick">${jn(u)}</text>
      <text x=${A.left} y=${ee-6} class="tick">${new Date(t).toLocaleTimeString()}</text>
      <text x=${ce-A.right} y=${ee-6} text-anchor="end" class="tick">${new Date(n).toLocaleTimeString()}</text>
      <path d=${h} class="line" />
      ${o?a`<rect class="selection" x=${c(Math.min(o.a,o.b))} y=${A.top} width=${Math.abs(c(o.b)-c(o.a))} height=${ee-A.top-A.bottom} />`:null}
    </svg>
    <figcaption class="hint">Drag across the chart to zoom into a range.</figcaption>
  </figure>`}function jn(e){return Math.abs(e)>=1e3||Number.isInteger(e)?String(Math.round(e)):e.toPrecision(4)}var Hn=[{label:"15 min",ms:15*6e4},{label:"1 h",ms:36e5},{label:"6 h",ms:6*36e5},{label:"24 h",ms:24*36e5},{label:"7 d",ms:168*36e5}];function Un({thing:e}){let[t,n]=f(),[s,r]=f(),[o,i]=f(),[l,u]=f(()=>Bn(Hn[1])),[p,c]=f();return w(()=>{_(`/things/${b(e)}/telemetry/latest`).then(m=>{let h=Object.keys(m.metrics).sort();n(h),i(d=>d??h[0])}).catch(m=>r(m instanceof P&&m.status===404?"Telemetry is not enabled on this node.":String(m.message)))},[e]),w(()=>{o&&_(`/things/${b(e)}/telemetry?metric=${b(o)}&from=${Math.floor(l.from)}&to=${Math.ceil(l.to)}`).then(m=>{let h=(m.series[0]?.points??[]).map(d=>Array.isArray(d)?[d[0],d[1]]:[d.ts,d.avg]);c({points:h,step:m.step})}).catch(()=>c({points:[],step:"?"}))},[e,o,l]),a`<section class="card telemetry" aria-labelledby="telemetry-title" data-testid="telemetry">
    <h2 id="telemetry-title">Telemetry</h2>
    ${s?a`<p class="empty">${s}</p>`:null}
    ${t&&t.length===0?a`<p class="empty">No telemetry from this thing yet.</p>`:null}
    ${t&&t.length>0?a`<div class="row">
            <label>Metric
              <select value=${o} onChange=${m=>i(m.target.value)}>
                ${t.map(m=>a`<option value=${m}>${m}</option>`)}
              </select>
            </label>
            <span role="group" aria-label="Time range" class="ranges">
              ${Hn.map(m=>a`<button type="button" aria-pressed=${l.label===m.label} onClick=${()=>u(Bn(m))}>${m.label}</button>`)}
            </span>
          </div>
          <p class="meta">${new Date(l.from).toLocaleString()} – ${new Date(l.to).toLocaleString()}
            ${p?` \xB7 step ${p.step} \xB7 ${p.points.length} points`:""}</p>
          ${p?a`<${qn} points=${p.points} from=${l.from} to=${l.to} label=${`${o} over time`}
                onSelect=${(m,h)=>u({from:m,to:h,label:"custom"})} />`:a`<p>Loading…</p>`}`:null}
  </section>`}function Bn(e){let t=Date.now();return{from:t-e.ms,to:t,label:e.label}}function Jn({route:e,session:t}){let n=e.args[0]??"",s=e.query.get("shadow")??"",[r,o]=f([]),{loaded:i,connection:l}=Fn(n,s);return w(()=>{_(`/things/${b(n)}/shadows`).then(u=>o(u.results)).catch(()=>o([]))},[n]),a`
    <p class="crumbs"><a href="#/">Fleet</a> / ${n}</p>
    <h1>${n}</h1>
    <section class="presence" aria-label="Presence" data-testid="presence">
      ${Ne(l)}
      ${l?a` at site <strong>${l.site}</strong> since ${N(l.since)} (${Y(l.since)})`:null}
    </section>
    <nav class="tabs" aria-label="Shadows of this thing">
      <a href=${G(n)} aria-current=${s===""?"page":void 0}>classic</a>
      ${r.map(u=>a`<a href=${G(n,u)} aria-current=${s===u?"page":void 0}>${u}</a>`)}
    </nav>
    ${Fo(i,n,s,W(t))}
    <${On} thing=${n} editable=${W(t)} focus=${e.query.get("view")==="inventory"} />
    <${Un} thing=${n} />
    <${Dn} thing=${n} shadow=${s} version=${i.kind==="ok"?i.doc.version:void 0} />
  `}function Fo(e,t,n,s){if(e.kind==="loading")return a`<p>Loading shadow…</p>`;if(e.kind==="error")return a`<p class="error" role="alert">${e.message}</p>`;let r=e.kind==="ok"?e.doc:void 0;return a`
    ${r?a`<p class="meta" data-testid="version">Version <strong>${r.version}</strong></p>`:a`<p class="empty">This shadow does not exist yet.</p>`}
    ${r?a`<div class="panels">
          <${_e} title="Desired" value=${r.state.desired} id="desired" />
          <${_e} title="Reported" value=${r.state.reported} id="reported" />
          <${_e} title="Delta" value=${r.state.delta} id="delta" empty="In sync: nothing pending" />
          <${_e} title="Metadata" value=${r.metadata} id="metadata" />
          ${r.conflicts?a`<${_e} title="Conflicts" value=${r.conflicts} id="conflicts" />`:null}
        </div>`:null}
    ${s?a`<${Cn} key=${`${t}/${n}`} thing=${t} shadow=${n} doc=${r} />`:null}
  `}function _e({title:e,value:t,id:n,empty:s}){return a`<section class="panel" aria-labelledby=${`h-${n}`} data-testid=${`panel-${n}`}>
    <h2 id=${`h-${n}`}>${e}</h2>
    ${t===void 0?a`<p class="empty">${s??"empty"}</p>`:a`<pre tabindex="0">${z(t)}</pre>`}
  </section>`}var He=[{page:"",title:"Fleet",nav:!0,component:fn},{page:"things",title:"Thing",nav:!1,component:Jn},{page:"systems",title:"Systems",nav:!0,component:xn},{page:"conflicts",title:"Conflicts",nav:!0,component:dn},{page:"alarms",title:"Alarms",nav:!0,component:ln},{page:"review",title:"Review",nav:!1,component:vn},{page:"jobs",title:"Jobs",nav:!0,component:_n},{page:"sites",title:"Sites",nav:!0,component:kn},{page:"identities",title:"Identities",nav:!0,component:gn}];function Vn(){let[e,t]=f({kind:"loading"}),n=()=>Zt().then(s=>t({kind:"in",session:s})).catch(s=>t(s instanceof P&&s.status!==0?{kind:"signed-out"}:{kind:"unreachable"}));return w(()=>{zt(()=>{V.stop(),t({kind:"signed-out",reason:"Your session ended; sign in again."})}),n()},[]),w(()=>{e.kind==="in"&&V.start()},[e.kind]),e.kind==="loading"?a`<main class="centered"><p>Loading…</p></main>`:e.kind==="unreachable"?a`<main class="centered">
      <div class="banner error" role="alert">The node does not answer. It may be restarting or unreachable.</div>
      <button onClick=${n}>Try again</button>
    </main>`:e.kind==="signed-out"?a`<${en} reason=${e.reason} onSignedIn=${s=>t({kind:"in",session:s})} />`:a`<${jo}
    session=${e.session}
    onSignOut=${async()=>{V.stop(),await Yt(),t({kind:"signed-out"})}}
  />`}function jo({session:e,onSignOut:t}){let n=on(),s=Qt(),r=He.find(o=>o.page===n.page)??He[0];return w(()=>{document.title=`${r.title} \xB7 Umbra`},[r]),a`
    <header class="top">
      <span class="brand">Umbra</span>
      <nav aria-label="Pages">
        ${He.filter(o=>o.nav).map(o=>a`<a href=${`#/${o.page}`} aria-current=${o===r||r.page==="things"&&o.page===""?"page":void 0}>${o.title}</a>`)}
      </nav>
      <span class="who">
        <span class=${`link ${s}`} data-link=${s}>${s==="live"?"\u25CF live":s==="lost"?"\u25CF offline":"\u25CF connecting"}</span>
        ${e.name} <span class="role">${e.role}</span>
        ${e.anonymous?null:a`<button class="quiet" onClick=${t}>Sign out</button>`}
      </span>
    </header>
    ${s==="lost"?a`<div class="banner error" role="alert" data-testid="node-lost">
            Lost contact with the node. Showing the last known state; retrying…
          </div>`:null}
    <main id="main">
      <${r.component} route=${n} session=${e} />
    </main>
  `}var Wn=document.getElementById("app");Wn&&Xe(a`<${Vn} />`,Wn);
